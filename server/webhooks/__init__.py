"""Webhooks: endpoints per organization, an outbox of signed deliveries (Standard Webhooks), sent with retries."""
