"""Settings: one typed object read from ``OMBUD_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable about one Ombud deployment."""

    model_config = SettingsConfigDict(env_prefix="OMBUD_", extra="ignore")

    database_url: str = "sqlite:///var/ombud.db"
    data_dir: Path = Path("var")
    secret_key: str = Field(default="dev-secret-change-me", min_length=8)
    customer_token_secret: str = Field(default="dev-exchange-token-secret", min_length=8)
    max_attachment_bytes: int = 25 * 1024 * 1024
    max_json_bytes: int = 256 * 1024
    jobs_inline: bool = True
    job_poll_seconds: float = 0.5
    job_stale_seconds: float = 300.0  # a job running this long under a worker is abandoned
    audit_anchor_seconds: int = 300
    login_max_failures: int = 5
    login_lockout_seconds: int = 900
    login_rate_per_minute: int = 20
    session_hours: int = 12
    magic_link_minutes: int = 30
    secure_cookies: bool = False
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""  # SMTP AUTH, over STARTTLS only
    smtp_password: str = ""
    mail_from: str = "complaints@ombud.local"
    mail_max_bytes: int = 30 * 1024 * 1024
    smtp_listen_port: int = 2525
    # IMAP polling of a complaints mailbox (``ombud mail-poll``); off while imap_host is None
    imap_host: str | None = None
    imap_port: int = 993
    imap_ssl: bool = True  # IMAPS with a verified certificate; False: plain IMAP (local only)
    imap_user: str = ""
    imap_password: str = ""
    imap_mailbox: str = "INBOX"
    imap_poll_seconds: float = 60.0
    support_phone: str = "+44 20 0000 0000"
    public_url: str = "http://127.0.0.1:8000"
    survey_valid_days: int = Field(default=90, ge=1)  # how long a survey link takes answers
    db_pool_size: int = 10
    log_level: str = "INFO"
    # social channels: webhook secrets, send credentials, and each platform's API base URL
    telegram_bot_token: str | None = None
    telegram_secret_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    messenger_app_secret: str | None = None
    messenger_verify_token: str | None = None
    messenger_page_token: str | None = None
    messenger_api_url: str = "https://graph.facebook.com/v21.0"
    x_consumer_secret: str | None = None
    x_bearer_token: str | None = None
    x_api_url: str = "https://api.x.com"
    okx_api_key: str | None = None  # with the two below: read evidence from OKX, not the sim
    okx_secret_key: str | None = None
    okx_passphrase: str | None = None
    okx_base_url: str = "https://www.okx.com"
    okx_demo: bool = False  # OKX demo trading (x-simulated-trading: 1)
    redis_url: str | None = None  # chat fan-out across processes; None = in-process
    fault_points: str = ""  # crash tests only: comma-separated points where a worker dies
    deemed_acceptance: bool = True  # a decision not answered by its deadline: accepted, or lapsed
    reopen_days: int = 30  # a customer may reopen a resolved case within this many days

    @property
    def blob_dir(self) -> Path:
        """Where attachment blobs live on local disk."""
        return self.data_dir / "blobs"

    @property
    def outbox_dir(self) -> Path:
        """Where outbound mail is written when no SMTP server is configured."""
        return self.data_dir / "outbox"

    @property
    def is_sqlite(self) -> bool:
        """True when the system of record is the embedded SQLite database."""
        return self.database_url.startswith("sqlite")
