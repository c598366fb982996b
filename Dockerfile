# TechMatch API image. The source tree is kept (editable install) because Cypher statements are read
# from cypher/ at run time.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY graph_service ./graph_service
COPY loaders ./loaders
COPY cypher ./cypher
RUN pip install --no-cache-dir -e .
ENV TECHMATCH_HOST=0.0.0.0 \
    TECHMATCH_DATA_DIR=/data \
    TECHMATCH_MODEL_DIR=/data/models \
    TECHMATCH_FAIRS_DIR=/data/fairs
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"
CMD ["techmatch", "demo"]
