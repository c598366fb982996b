"""Pages for people, in Simplified Chinese: server-rendered (Jinja2) with little script of our own. They call
the same services as the API under the same roles (`session.page`), and their forms carry a token that
a page of another site cannot know (`session.posted_form`)."""
