# syntax=docker/dockerfile:1
# One image for every role: web (gunicorn, the default CMD), Celery worker and Celery beat
# (docker-compose.yml overrides the command). Runs from the source tree in /app because
# templates/ and static/ live at the repository root, not inside the installed packages.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=carbon_platform.settings \
    MEDIA_ROOT=/app/media

WORKDIR /app

# Dependencies first, read from pyproject.toml, so code changes do not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project itself (see .dockerignore for what stays out).
COPY . .
RUN pip install --no-deps . && rm -rf build *.egg-info

# Static files are collected at build time (whitenoise serves them); settings need a
# SECRET_KEY to import, so a build-only dummy is passed to this one command and not kept.
RUN SECRET_KEY=build-only-not-secret-0123456789abcdefghij DEBUG=0 \
    python manage.py collectstatic --noinput

# Non-root user. media/ is pre-created and owned by it, so a named volume mounted there
# inherits that ownership on first use.
RUN groupadd --system --gid 1000 app \
    && useradd --system --uid 1000 --gid app --home-dir /app --no-create-home app \
    && mkdir -p /app/media \
    && chown app:app /app/media
USER app

EXPOSE 8000

# urllib raises on any non-2xx answer (503 when the database is down), so the exit code is 1.
# The request goes to 127.0.0.1, which therefore must be in ALLOWED_HOSTS.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["gunicorn", "carbon_platform.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", "--access-logfile", "-"]
