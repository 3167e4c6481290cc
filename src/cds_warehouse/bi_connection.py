"""What `cds bi-user` prints: how Metabase, Superset and Power BI connect to the marts with a BI login.

The password is printed once, on its own line, and nowhere else: the Superset URI carries a placeholder, so
a URI copied into a file or a ticket does not carry the secret (docs/marts.md, "Connecting a BI tool").
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit


def connection_settings(name: str, password: str, dsn: str, server_ssl: bool) -> str:
    """The settings for login `name`, on the server of `dsn` (the warehouse's), whose `ssl` setting is
    `server_ssl` (PostgreSQL's `show ssl`)."""
    server = urlsplit(dsn)
    host, port, database = server.hostname, server.port or 5432, server.path.lstrip("/")
    sslmode = "require" if server_ssl else "disable"
    if server_ssl:
        ssl_note = """SSL: the server offers it; require it in every tool (below), so the password and the figures
     travel encrypted."""
    else:
        ssl_note = """SSL: the server does NOT offer it (ssl = off): connect only from the same machine or a trusted
     network, or ask the database administrator to turn PostgreSQL's ssl on before a BI tool connects
     over a network."""
    return f"""Login {name!r} reads the BI contract: the schema marts but its row-level fct_dossier, and
nothing else (role bi_reader; docs/marts.md, "What BI tools may read").
The password is shown this once and stored nowhere; run this again for a new one.

  host      {host}
  port      {port}
  database  {database}
  user      {name}
  password  {password}
  schema    marts
  {ssl_note}

Metabase:  Admin settings > Databases > Add a database > PostgreSQL: host, port, database name, username
           and password as above; "Use a secure connection (SSL)" {"on" if server_ssl else "off"};
           "Schemas": "Only these…" marts.
Superset:  Settings > Database Connections > + Database > PostgreSQL > "Connect this database with a
           SQLAlchemy URI string":
             postgresql+psycopg2://{quote(name, safe="")}:<password>@{host}:{port}/{database}?sslmode={sslmode}
           type the password in place of <password> there (Superset keeps it encrypted in its metadata
           database); never write the URI with the password into superset_config.py or any file.
Power BI:  Get data > PostgreSQL database: Server {host}:{port}, Database {database}, mode Import; then
           "Database" credentials with the user and password above; "Encrypt connections" {
        "on (the server's certificate must be trusted by Windows)" if server_ssl else "off"
    }.
The tables, their columns (each described in the tool, from the marts' comments), the labels of coded
values (marts.dim_code_label) and example queries: docs/marts.md."""
