"""chat: knowledge-base articles with full-text search, live chats, chat messages

Revision ID: 0006
Revises: 0005

Search runs over ``chat_articles.search_text`` (index terms, Chinese as character bigrams):
on SQLite an external-content FTS5 table kept in step by triggers, on PostgreSQL a GIN
index over the terms as a tsvector (built without a text-search parser, so no locale or
dictionary can drop Chinese characters).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_SQLITE_FTS = [
    "CREATE VIRTUAL TABLE chat_articles_fts USING fts5(search_text, content='chat_articles', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER chat_articles_ai AFTER INSERT ON chat_articles BEGIN "
    "INSERT INTO chat_articles_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER chat_articles_ad AFTER DELETE ON chat_articles BEGIN "
    "INSERT INTO chat_articles_fts(chat_articles_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER chat_articles_au AFTER UPDATE ON chat_articles BEGIN "
    "INSERT INTO chat_articles_fts(chat_articles_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO chat_articles_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
]
_PG_INDEX = ("CREATE INDEX ix_chat_articles_search ON chat_articles USING gin "
             "(array_to_tsvector(string_to_array(search_text, ' ')))")


def upgrade() -> None:
    op.create_table(
        "chat_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_articles")),
        sa.UniqueConstraint("slug", name=op.f("uq_chat_articles_slug")),
    )
    op.create_table(
        "chat_chats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_chat_chats_customer_id_customers")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_chat_chats_case_id_cases")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_chat_chats_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_chats")),
        sa.UniqueConstraint("key", name=op.f("uq_chat_chats_key")),
    )
    op.create_index("ix_chat_chats_status", "chat_chats", ["status", "id"], unique=False)
    op.create_index("ix_chat_chats_customer", "chat_chats", ["customer_id", "id"], unique=False)
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("author_kind", sa.String(length=8), nullable=False),
        sa.Column("author_name", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("case_message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chat_chats.id"], name=op.f("fk_chat_messages_chat_id_chat_chats")),
        sa.ForeignKeyConstraint(["case_message_id"], ["messages.id"], name=op.f("fk_chat_messages_case_message_id_messages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
        sa.UniqueConstraint("chat_id", "seq", name="uq_chat_messages_chat_seq"),
        sa.UniqueConstraint("chat_id", "client_id", name="uq_chat_messages_chat_client"),
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_FTS:
            op.execute(statement)
    else:
        op.execute(_PG_INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("chat_articles_au", "chat_articles_ad", "chat_articles_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS chat_articles_fts")
    op.drop_table("chat_messages")
    op.drop_index("ix_chat_chats_customer", table_name="chat_chats")
    op.drop_index("ix_chat_chats_status", table_name="chat_chats")
    op.drop_table("chat_chats")
    op.drop_table("chat_articles")
