FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY monitor ./monitor
COPY alembic ./alembic
RUN pip install --no-cache-dir . && useradd --create-home monitor
USER monitor
ENV MONITOR_CONFIG=/config/feeds.toml
CMD ["monitor", "run"]
