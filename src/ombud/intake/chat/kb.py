"""Knowledge base: store articles and find the best ones for a question (full-text search)."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.common.clock import utcnow
from ombud.db import tx
from ombud.intake.chat.schemas import ArticleIn, ArticleOut
from ombud.intake.chat.tables import Article
from ombud.intake.chat.text import index_text, query_terms
from ombud.security import permissions
from ombud.security.permissions import Principal
from ombud.security.roles import Permission

_SQLITE = text(
    "SELECT a.id FROM chat_articles_fts f JOIN chat_articles a ON a.id = f.rowid "
    "WHERE chat_articles_fts MATCH :q "
    "ORDER BY bm25(chat_articles_fts) - (a.language = :lang) * 0.5, a.id LIMIT :n")
_VECTOR = "array_to_tsvector(string_to_array(a.search_text, ' '))"  # the GIN index expression
_POSTGRES = text(
    f"SELECT a.id FROM chat_articles a WHERE {_VECTOR} @@ CAST(:q AS tsquery) "
    f"ORDER BY ts_rank({_VECTOR}, CAST(:q AS tsquery)) "
    "+ CASE WHEN a.language = :lang THEN 0.05 ELSE 0 END DESC, a.id LIMIT :n")


def save_article(session: Session, actor: Principal, data: ArticleIn) -> ArticleOut:
    """Create or replace the article ``data.slug`` (staff who manage staff, i.e. admins)."""
    permissions.require(actor, Permission.MANAGE_STAFF)
    with tx(session):
        row = session.scalars(select(Article).where(Article.slug == data.slug)).first()
        if row is None:
            row = Article(slug=data.slug)
            session.add(row)
        row.language, row.title, row.body = data.language, data.title, data.body
        row.search_text = index_text(data.title, data.title, data.body)  # title counts twice
        row.updated_at = utcnow()
        session.flush()
        audit.append(session, actor=actor.actor, action="chat.article_saved",
                     data={"slug": data.slug, "language": data.language})
        return ArticleOut.model_validate(row)


def slugs(session: Session) -> set[str]:
    """The slugs of every stored article."""
    return set(session.scalars(select(Article.slug)))


def search(session: Session, question: str, language: str = "en", limit: int = 3) -> list[
        ArticleOut]:
    """The articles that best match ``question`` (any of its terms), best first; articles in
    ``language`` win ties."""
    terms = query_terms(question)
    if not terms:
        return []
    if session.get_bind().dialect.name == "sqlite":
        q = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        stmt = _SQLITE
    else:  # each term a quoted lexeme: the tsquery is taken as written, no parser involved
        q = " | ".join("'" + t.replace("'", "''").replace("\\", "\\\\") + "'" for t in terms)
        stmt = _POSTGRES
    ids = list(session.execute(stmt, {"q": q, "lang": language, "n": limit}).scalars())
    rows = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(ids)))}
    return [ArticleOut.model_validate(rows[i]) for i in ids]
