# Production image: `dutybot serve` (web) and `dutybot worker` run from the same image.
# PostgreSQL and Redis are external (see compose.yaml); the embedded Redis is for the demo only.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
# A CJK font for the duty roster image (值班表 as a PNG) and the periodic reports' chart.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 dutybot
COPY --from=build /install /usr/local
USER dutybot
WORKDIR /home/dutybot
RUN mkdir -p /home/dutybot/var
ENV DUTYBOT_HOME=/home/dutybot/var \
    DUTYBOT_HTTP_HOST=0.0.0.0 \
    DUTYBOT_LOG_FORMAT=json \
    PYTHONUNBUFFERED=1
EXPOSE 8080
# The default command is the web server: check it alone (?scope=web), so a dead worker does not
# get a healthy web container restarted. A worker container overrides this with
# `dutybot worker --check` (compose.yaml), since it serves no HTTP.
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz?scope=web', timeout=4).status == 200 else 1)"
ENTRYPOINT ["dutybot"]
CMD ["serve"]
