# Carillon in a container. Build: docker build -t carillon .
# Publish the slash commands once: docker run --rm -e DISCORD_TOKEN=... carillon sync
# Run:   docker run -d --name carillon -e DISCORD_TOKEN=... -v carillon-data:/data carillon
# The data volume must be writable by uid 10001 (the image's carillon user); a named volume is.
# A bind mount needs: sudo chown 10001 /path/on/host
#
# The base image is pinned to one release (not a moving tag) so that a rebuild gets the same
# Python; raise it deliberately: docker build --build-arg PYTHON_IMAGE=python:3.11.x-slim-bookworm
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm
FROM ${PYTHON_IMAGE}

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
# `carillon run` rewrites /data/health.json every 15 s with its gateway state; `carillon health`
# reads it (no request to Discord), so the check tells about this very process.
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["carillon", "health", "--quiet"]
ENTRYPOINT ["carillon"]
CMD ["run"]
