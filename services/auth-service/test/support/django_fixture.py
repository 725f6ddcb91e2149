"""A Django project's database, made by Django itself, for the import-django tests.

    python3 django_fixture.py sqlite <path to the new file> <dumpdata JSON to write>
    python3 django_fixture.py postgres <postgres:// URL of an empty database> <dumpdata JSON to write>

Configures a minimal project in-process (contrib.auth and contenttypes, every password hasher
the import supports), runs Django's own migrations, and creates users with Django's own
make_password under each hasher: a superuser, an inactive user, an unusable password, a hash
of a format the import refuses (MD5), duplicate and empty emails. django-allauth is not a Debian
package, so its two tables the import reads (socialaccount_socialaccount, account_emailaddress)
are created here with allauth's columns, in plain SQL. Then `dumpdata auth.user` writes the
same users as JSON, with allauth's rows appended in dumpdata's shape.

Prints a JSON manifest on stdout: each user's Django id, email, password and hasher, for the
test to sign in with.
"""

import base64
import hashlib
import json
import sys

import django
from django.conf import settings


def main():
    dialect, target, dumpdata_path = sys.argv[1:4]
    if dialect == "sqlite":
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": target}
    else:
        from urllib.parse import unquote, urlparse

        url = urlparse(target)
        database = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": url.path.lstrip("/"),
            "HOST": url.hostname or "127.0.0.1",
            "PORT": str(url.port or 5432),
            "USER": unquote(url.username or "postgres"),
            "PASSWORD": unquote(url.password or ""),
        }
    settings.configure(
        SECRET_KEY="django-fixture-not-a-secret",
        USE_TZ=True,
        TIME_ZONE="UTC",
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
        DATABASES={"default": database},
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        PASSWORD_HASHERS=[
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
            "django.contrib.auth.hashers.Argon2PasswordHasher",
            "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
            "django.contrib.auth.hashers.BCryptPasswordHasher",
            "__main__.ScryptPasswordHasher",
            "django.contrib.auth.hashers.MD5PasswordHasher",
        ],
    )
    django.setup()

    from django.contrib.auth.hashers import check_password, make_password
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.utils.dateparse import parse_datetime

    call_command("migrate", verbosity=0)

    def when(text):
        return parse_datetime(text)

    specs = [
        # username, email, password, hasher, extra fields
        ("alice", "Alice@Example.com", "copper-kettle-pbkdf2", "pbkdf2_sha256",
         {"first_name": "Alice", "last_name": "Liddell",
          "date_joined": when("2019-04-01T08:30:00.123456+00:00"),
          "last_login": when("2024-11-05T17:45:10.5+00:00")}),
        ("bob", "bob@example.com", "lantern-meadow-sha1", "pbkdf2_sha1", {"first_name": "Bob"}),
        ("carol", "  Carol@Example.COM ", "granite-argon2id-pass", "argon2", {"last_name": "Danvers"}),
        ("dave", "dave@example.com", "quartz-argon2i-pass", "argon2i", {}),
        ("erin", "erin@example.com", "pässwörd-bcrypt-sha256-ünï", "bcrypt_sha256", {}),
        ("frank", "frank@example.com", "ochre-bcrypt-plain", "bcrypt", {}),
        ("grace", "grace@example.com", "violet-scrypt-horizon", "scrypt", {}),
        ("root", "root@example.com", "superuser-copper-root", "pbkdf2_sha256",
         {"is_superuser": True, "is_staff": True}),
        ("staff", "staff@example.com", "staff-not-superuser", "pbkdf2_sha256", {"is_staff": True}),
        ("ivan", "ivan@example.com", "inactive-ivan-pass", "pbkdf2_sha256", {"is_active": False}),
        ("judy", "judy@example.com", None, "unusable", {}),
        ("mallory", "mallory@example.com", "weak-md5-password", "md5", {}),
        ("dup1", "Dup@Example.com", "duplicate-one-pass", "pbkdf2_sha256", {}),
        ("dup2", "dup@example.com", "duplicate-two-pass", "pbkdf2_sha256", {}),
        ("noemail", "", "no-email-at-all-pass", "pbkdf2_sha256", {}),
    ]
    argon2i = Argon2iPasswordHasher()
    manifest = []
    for username, email, password, hasher, extra in specs:
        user = User(username=username, email=email, **extra)
        if password is None:
            user.set_unusable_password()
        else:
            user.password = make_password(password, hasher=argon2i if hasher == "argon2i" else hasher)
            # Django itself accepts what it made (and the test checks that we do too).
            assert check_password(password, user.password), hasher
        user.save()
        manifest.append({"id": user.id, "username": username, "email": email,
                         "password": password, "hasher": hasher, "stored": user.password})

    ids = {m["username"]: m["id"] for m in manifest}
    social = [
        # user, provider, uid, extra_data
        ("alice", "github", "5551001", {"login": "alice", "email": "alice@example.com"}),
        ("alice", "google", "109876543210", {"email": "alice@example.com", "verified_email": True}),
        ("judy", "google", "101112131415", {"email": "judy@example.com"}),
        ("frank", "yandex", "77001", {"default_email": "frank@yandex.ru"}),
        ("bob", "facebook", "fb-42", {}),
    ]
    addresses = [
        # user, email, verified, primary
        ("alice", "alice@example.com", True, True),
        ("bob", "bob@example.com", False, True),
        ("root", "ROOT@example.com", True, True),
        ("judy", "judy@example.com", True, True),
        ("grace", "old-grace@example.com", True, False),
    ]
    create_allauth_tables(connection, dialect)
    with connection.cursor() as cursor:
        for n, (username, provider, uid, extra_data) in enumerate(social, start=1):
            cursor.execute(
                "insert into socialaccount_socialaccount "
                "(id, provider, uid, last_login, date_joined, extra_data, user_id) "
                "values (%s, %s, %s, %s, %s, %s, %s)",
                [n, provider, uid, when("2023-01-01T00:00:00+00:00"),
                 when("2022-01-01T00:00:00+00:00"), json.dumps(extra_data), ids[username]],
            )
        for n, (username, email, verified, primary) in enumerate(addresses, start=1):
            cursor.execute(
                'insert into account_emailaddress (id, email, verified, "primary", user_id) '
                "values (%s, %s, %s, %s, %s)",
                [n, email, verified, primary, ids[username]],
            )

    call_command("dumpdata", "auth.user", output=dumpdata_path, verbosity=0)
    with open(dumpdata_path) as f:
        records = json.load(f)
    for n, (username, provider, uid, extra_data) in enumerate(social, start=1):
        records.append({"model": "socialaccount.socialaccount", "pk": n, "fields": {
            "user": ids[username], "provider": provider, "uid": uid,
            "last_login": "2023-01-01T00:00:00Z", "date_joined": "2022-01-01T00:00:00Z",
            "extra_data": extra_data}})
    for n, (username, email, verified, primary) in enumerate(addresses, start=1):
        records.append({"model": "account.emailaddress", "pk": n, "fields": {
            "user": ids[username], "email": email, "verified": verified, "primary": primary}})
    with open(dumpdata_path, "w") as f:
        json.dump(records, f, indent=2)

    json.dump({"django": django.get_version(), "users": manifest}, sys.stdout)


def create_allauth_tables(connection, dialect):
    """django-allauth's two tables as its migrations make them (the columns the import reads)."""
    key = "integer primary key" if dialect == "sqlite" else "serial primary key"
    with connection.cursor() as cursor:
        cursor.execute(
            f"create table socialaccount_socialaccount (id {key}, provider varchar(200) not null, "
            "uid varchar(191) not null, last_login timestamp with time zone not null, "
            "date_joined timestamp with time zone not null, extra_data text not null, "
            "user_id integer not null references auth_user (id), unique (provider, uid))"
        )
        cursor.execute(
            f"create table account_emailaddress (id {key}, email varchar(254) not null, "
            'verified boolean not null, "primary" boolean not null, '
            "user_id integer not null references auth_user (id), unique (user_id, email))"
        )


from django.contrib.auth.hashers import (  # noqa: E402
    Argon2PasswordHasher,
    BasePasswordHasher,
    mask_hash,
)
from django.utils.crypto import constant_time_compare  # noqa: E402


class Argon2iPasswordHasher(Argon2PasswordHasher):
    """argon2i, which Django's Argon2PasswordHasher wrote before Django 3.2 switched to argon2id."""

    def params(self):
        import argon2

        return argon2.Parameters(
            type=argon2.low_level.Type.I,
            version=argon2.low_level.ARGON2_VERSION,
            salt_len=argon2.DEFAULT_RANDOM_SALT_LENGTH,
            hash_len=argon2.DEFAULT_HASH_LENGTH,
            time_cost=self.time_cost,
            memory_cost=self.memory_cost,
            parallelism=self.parallelism,
        )


class ScryptPasswordHasher(BasePasswordHasher):
    """django.contrib.auth.hashers.ScryptPasswordHasher as Django 4.0 added it (Debian's
    python3-django is 3.2, which predates it): transcribed, same defaults, same encoding."""

    algorithm = "scrypt"
    block_size = 8
    maxmem = 0
    parallelism = 1
    work_factor = 2**14

    def encode(self, password, salt, n=None, r=None, p=None):
        n = n or self.work_factor
        r = r or self.block_size
        p = p or self.parallelism
        hash_ = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p,
                               maxmem=self.maxmem, dklen=64)
        hash_ = base64.b64encode(hash_).decode("ascii").strip()
        return "%s$%d$%s$%d$%d$%s" % (self.algorithm, n, salt, r, p, hash_)

    def decode(self, encoded):
        algorithm, work_factor, salt, block_size, parallelism, hash_ = encoded.split("$", 6)
        return {"algorithm": algorithm, "block_size": int(block_size), "hash": hash_,
                "parallelism": int(parallelism), "salt": salt, "work_factor": int(work_factor)}

    def verify(self, password, encoded):
        decoded = self.decode(encoded)
        encoded_2 = self.encode(password, decoded["salt"], decoded["work_factor"],
                                decoded["block_size"], decoded["parallelism"])
        return constant_time_compare(encoded, encoded_2)

    def safe_summary(self, encoded):
        decoded = self.decode(encoded)
        return {"algorithm": decoded["algorithm"], "hash": mask_hash(decoded["hash"], show=7)}

    def harden_runtime(self, password, encoded):
        pass


if __name__ == "__main__":
    main()
