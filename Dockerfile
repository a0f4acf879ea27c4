# syntax=docker/dockerfile:1
# hotpapers: the bot as one image. Build: docker build -t hotpapers .
# Run:   docker run --env-file .env -v hotpapers-data:/data -p 3000:3000 hotpapers
# One-off commands: docker run --rm hotpapers digest --demo

# --- builder: the project and every dependency as wheels --------------------------------------
# The base image by exact version (a rebuild gets the same Python and Debian release); the
# dependencies from requirements/constraints.txt (scripts/lock refreshes both pins' peers).
FROM python:3.11.14-slim-bookworm AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY requirements/constraints.txt ./requirements/
COPY bot ./bot
COPY adapters ./adapters
COPY hotpapers ./hotpapers
COPY templates ./templates
# The project's wheel plus one wheel per dependency (psycopg for PostgreSQL included), each at
# the version the lock pins.
RUN pip wheel --constraint requirements/constraints.txt --wheel-dir /wheels ".[postgres]"

# --- runtime: the installed package only; no sources, tests, compilers or caches --------------
FROM python:3.11.14-slim-bookworm AS runtime
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOTPAPERS_DATABASE_URL=sqlite:////data/hotpapers.sqlite3 \
    HOTPAPERS_PORT=3000
# The wheels are bind-mounted from the builder, so none of them stays in a layer.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index /wheels/*.whl \
    && groupadd --system --gid 10001 hotpapers \
    && useradd --system --uid 10001 --gid hotpapers --create-home --home-dir /home/hotpapers hotpapers \
    && mkdir /data \
    && chown hotpapers:hotpapers /data
# The user `hotpapers`, by number so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /home/hotpapers
VOLUME /data
EXPOSE 3000
# slim has no curl: ask /healthz with the standard library (non-2xx or no answer -> unhealthy).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('HOTPAPERS_PORT', '3000'), timeout=4)"]
ENTRYPOINT ["hotpapers"]
CMD ["run"]
