"""Locust load for traffic-tracker, for teams coming from the Python service.

Shoppers log visits (POST /visit, bodies like the storefront sends) and now
and then read the campaign's numbers (GET /stats). A reply that breaks the
contract counts as a failure, not just a non-2xx status.

    locust -f bench/locustfile.py --headless -u 20 -r 10 -t 30s --host http://127.0.0.1:8080

Each simulated shopper waits 0.05-0.5 s between requests (about 3-4 requests a
second): raise -u for more load. Locust is not needed by the project itself
(Debian: apt-get install -y python3-locust).
"""

import random

from locust import HttpUser, between, task

PAGES = [
    "https://shop.example/",
    "https://shop.example/black-friday",
    "https://shop.example/black-friday/laptops",
    "https://shop.example/p/4k-tv-55?utm_source=newsletter&utm_campaign=bf",
    "https://shop.example/p/headphones-nc700",
    "https://shop.example/cart",
    "https://shop.example/checkout",
    "https://shop.example/search?q=r%C3%A9duction",
]
REFERRERS = [
    None,
    None,
    "https://www.google.com/",
    "https://news.example/deals-of-the-day",
    "https://social.example/post/123",
]
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
]
# Documentation address ranges (RFC 5737, RFC 3849): never a real shopper.
ADDRESSES = ["192.0.2.10", "198.51.100.7", "203.0.113.42", "2001:db8::1", "2001:db8:85a3::8a2e:370:7334"]
WINDOWS_HOURS = [0.1, 0.5, 1, 24, 168]


class Shopper(HttpUser):
    wait_time = between(0.05, 0.5)

    def on_start(self):
        self.user_id = f"shopper-{random.randrange(10**9)}"

    @task(9)
    def visit(self):
        body = {"user_id": self.user_id, "page_url": random.choice(PAGES)}
        referrer = random.choice(REFERRERS)
        if referrer is not None:
            body["referrer"] = referrer
        if random.random() < 0.5:
            body["user_agent"] = random.choice(AGENTS)
        if random.random() < 0.3:
            body["ip_address"] = random.choice(ADDRESSES)
        with self.client.post("/visit", json=body, name="POST /visit", catch_response=True) as reply:
            if reply.status_code != 200:
                reply.failure(f"status {reply.status_code}: {reply.text[:200]}")
                return
            data = reply.json()
            if data.get("success") is not True or not isinstance(data.get("visit_count"), int):
                reply.failure(f"not a visit reply: {reply.text[:200]}")

    @task(1)
    def stats(self):
        hours = random.choice(WINDOWS_HOURS)
        with self.client.get(
            "/stats", params={"timeframe_hours": hours}, name="GET /stats", catch_response=True
        ) as reply:
            if reply.status_code != 200:
                reply.failure(f"status {reply.status_code}: {reply.text[:200]}")
                return
            data = reply.json()
            if data.get("server_status") != "running" or data.get("timeframe_hours") != hours:
                reply.failure(f"not a stats reply: {reply.text[:200]}")
            elif not 0 <= data["recent_visits"] <= data["total_visits"]:
                reply.failure(f"recent_visits outside 0..total_visits: {reply.text[:200]}")
