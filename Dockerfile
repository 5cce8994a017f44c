FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY providers ./providers
COPY wallboard ./wallboard
RUN pip install --no-cache-dir -c constraints.txt .
COPY manage.py ./
COPY templates ./templates
COPY static ./static
COPY locale ./locale
# collectstatic needs settings that parse, not real secrets.
RUN DATABASE_URL=sqlite:////tmp/build.sqlite3 SECRET_KEY=build FIELD_ENCRYPTION_KEY=YnVpbGQtb25seS1idWlsZC1vbmx5LWJ1aWxkLW9ubHkh \
    sh -c "python manage.py collectstatic --noinput && python manage.py compile_catalogs"
# PROMETHEUS_MULTIPROC_DIR of docker-compose.yml (a volume shared by the app's containers).
RUN mkdir -p /run/wallboard/metrics && chown nobody /run/wallboard/metrics
USER nobody
EXPOSE 8000
# uvicorn (ADR 012) with each WebSocket frame encoded once per process, not once per
# socket (ADR 018). Pages never send more than 64 KiB over a socket; a stop waits at most
# 5 s for sockets whose peer stopped reading; --forwarded-allow-ips (or FORWARDED_ALLOW_IPS)
# names the proxy whose X-Forwarded-* headers are trusted.
CMD ["uvicorn", "--host", "0.0.0.0", "--port", "8000", "--loop", "uvloop", "--http", "httptools", \
     "--ws", "wallboard.live.protocol:WebSocketProtocol", "--ws-max-size", "65536", "--lifespan", "off", \
     "--timeout-graceful-shutdown", "5", "--proxy-headers", "wallboard.asgi:application"]
