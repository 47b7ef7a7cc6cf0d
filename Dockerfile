FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DEBUG=true python manage.py collectstatic --noinput
EXPOSE 8000
# gunicorn.conf.py (access log with request ids, timeout) is read from /app.
CMD ["gunicorn", "casetracker.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4"]
