FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY contactcenter ./contactcenter
COPY web ./web
RUN pip install --no-cache-dir '.[postgres]'
# The image runs in production mode: web processes refuse defaulted secrets, logs are JSON lines.
ENV CONTACTCENTER_ENV=production
USER nobody
EXPOSE 8000
CMD ["contactcenter", "web", "--host", "0.0.0.0", "--port", "8000"]
