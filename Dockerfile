# Carillon in a container. Build: docker build -t carillon .
# Run:   docker run -e DISCORD_TOKEN=... -v carillon-data:/data carillon
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    CARILLON_DATA_DIR=/data

# PyAV wheels bundle FFmpeg with libopus and tzdata ships the zone database, so the slim image
# needs no system packages.
WORKDIR /app
COPY pyproject.toml README.md config.example.toml ./
COPY bot ./bot
COPY cogs ./cogs
COPY storage ./storage
COPY audio ./audio
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data carillon \
    && mkdir -p /data \
    && chown carillon /data

USER carillon
VOLUME ["/data"]
ENTRYPOINT ["carillon"]
CMD ["run"]
