"""Chinese text retrieval over needs, offers and expertise: jieba with a domain dictionary, TF-IDF."""
