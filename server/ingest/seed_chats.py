"""The demo catalog's conversations as Labelbox conversational JSON, made from a chat's name alone, so that the
server can serve them (`/demo-media/chats/<name>.json`, server.web.demo_media) and the demo renders offline. The name
ends with the number of messages the seed gave the row (`chat-0000009-7`); the seed's entity labels fall within the
first 72 characters of a message, which every message here has."""

from __future__ import annotations

import hashlib
import random
import re
from typing import Any

MOST_MESSAGES = 100
CUSTOMERS = ("Alice Smith", "Bob Jones", "Carla Diaz", "Dev Patel", "Emma Brown")
AGENT = "Support agent"
CUSTOMER_LINES = (
    "Hi, this is {customer}. Our delivery to the Osaka office has not arrived and the tracking page is stuck.",
    "It was due on Monday. Can you still get the parcel to Osaka by Friday, or should we reorder it today?",
    "The order number is on the invoice from Acme Corp; I can send you a copy of it if that helps at all.",
    "Thanks, that works for us. I will tell the team in Osaka to expect the parcel on the next van then.",
)
AGENT_LINES = (
    "Sorry about that, {customer}! Let me look the order up in our system and see where the parcel is now.",
    "I can see it left the Lagos depot this morning; it is booked on the next van to your office in Osaka.",
    "No need to reorder: I have flagged it as urgent, and you will get an email as soon as the van leaves.",
    "You are welcome. Is there anything else I can help you with today, or shall I close this ticket now?",
)


def messages_of(name: str) -> int:
    """The number of messages a chat's name ends with, as `-7` (ValueError when it ends with none, or too many)."""
    found = re.fullmatch(r".+-([1-9][0-9]*)", name)
    count = int(found.group(1)) if found else 0
    if not 1 <= count <= MOST_MESSAGES:
        raise ValueError(f"{name}: a chat has 1 to {MOST_MESSAGES} messages")
    return count


def conversational_json(name: str) -> dict[str, Any]:
    """The chat called `name` in Labelbox's conversational row data format (version 1): the customer and the agent
    in turn, the customer first, each through their lines in order."""
    rng = random.Random(int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big"))
    customer = rng.choice(CUSTOMERS)
    messages = []
    for index in range(messages_of(name)):
        speaker, lines = (customer, CUSTOMER_LINES) if index % 2 == 0 else (AGENT, AGENT_LINES)
        message = {
            "messageId": str(index),
            "timestampUsec": 1_700_000_000_000_000 + index * 60_000_000,
            "content": lines[index // 2 % len(lines)].format(customer=customer),
            "user": {"userId": speaker.lower().replace(" ", "-"), "name": speaker},
            "align": "right" if speaker == AGENT else "left",
            "canLabel": True,
        }
        messages.append(message)
    return {"type": "application/vnd.labelbox.conversational", "version": 1, "messages": messages}
