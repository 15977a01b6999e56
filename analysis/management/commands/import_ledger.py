"""python manage.py import_ledger FILE --campaign ID [--sheet NAME] [--yes] [--user STAFF_NO]

Reads the ledger exactly as the import page does (same services) and prints the preview summary.
Without --yes nothing is kept; with --yes the rows are imported and the completion rate of the
imported rows is printed with its numerator and denominator. Exit code 1 on any refusal (nothing stored).
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from core.exceptions import ServiceError
from core.rates import rate

from ...models import LedgerRow
from ...services import ledger_import_commit, ledger_import_upload


class Command(BaseCommand):
    help = "Preview (and with --yes import) an Excel rectification ledger into a campaign."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--campaign", type=int, required=True)
        parser.add_argument("--sheet", default="")
        parser.add_argument("--yes", action="store_true", help="store the import (default: preview only)")
        parser.add_argument("--split", action="store_true", help="split 一是/二是/三是 into separate measures")
        parser.add_argument("--draft", action="store_true", help="put the measures in draft plans (not approved)")
        parser.add_argument("--user", default="", help="user name of the person importing (default: a superuser)")

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(f)s") % {"f": path})
        campaign = Campaign.objects.filter(pk=opts["campaign"]).select_related("institution").first()
        if campaign is None:
            raise CommandError(_("No campaign %(id)s.") % {"id": opts["campaign"]})
        actor = self._actor(opts["user"])
        upload = SimpleUploadedFile(path.name, path.read_bytes())
        stored = []
        try:
            with transaction.atomic():
                imp = ledger_import_upload(
                    actor=actor,
                    campaign=campaign,
                    upload=upload,
                    sheet=opts["sheet"],
                    split_measures=opts["split"],
                    plans_approved=not opts["draft"],
                    inline=True,  # the same reading as the page's background run, here and now
                )
                stored.append(imp.file.name)
                self._print_summary(imp)
                if imp.summary["errors"] or imp.summary.get("duplicate_file"):
                    raise ServiceError(_("The ledger cannot be imported as it is: nothing was stored."))
                if not opts["yes"]:
                    transaction.set_rollback(True)
                    self.stdout.write(_("Preview only: nothing was stored (add --yes to import)."))
                    return
                n_problems, n_measures = ledger_import_commit(actor=actor, ledger_import=imp)
                stored.clear()
        except ServiceError as e:
            for d in e.details:
                self.stderr.write(f"  {d}")
            raise CommandError(e.message) from e
        finally:
            from django.core.files.storage import default_storage

            for name in stored:  # the preview's copy of the file is not kept either
                default_storage.delete(name)
        s = imp.summary
        done = s["states"]["done"]
        r = rate(done, n_measures, numerator_label=_("done"), denominator_label=_("measures imported"))
        self.stdout.write(_("Imported %(p)s problems and %(m)s measures.") % {"p": n_problems, "m": n_measures})
        self.stdout.write(
            _("Completion rate of the imported rows: %(rate)s%% (%(num)s %(nl)s / %(den)s %(dl)s)")
            % {"rate": r, "num": r.numerator, "nl": r.numerator_label, "den": r.denominator, "dl": r.denominator_label}
        )

    def _actor(self, username: str):
        users = get_user_model().objects.filter(is_active=True)
        user = users.filter(username=username).first() if username else users.filter(is_superuser=True).first()
        if user is None:
            raise CommandError(_("Name the importing user with --user (no such user, and no superuser)."))
        return user

    def _print_summary(self, imp) -> None:
        s = imp.summary
        w = self.stdout.write
        w(_("File %(f)s, sheet %(s)s") % {"f": imp.original_name, "s": s["sheet"]})
        w(_("Rows read: %(n)s") % {"n": s["rows"]})
        w(_("Categories: %(n)s %(names)s") % {"n": len(s["categories"]), "names": "、".join(s["categories"][:20])})
        w(_("Problems: %(n)s") % {"n": s["problems"]})
        w(_("Measures: %(n)s") % {"n": s["measures"]})
        w(
            _("Statuses: done %(d)s, in progress %(i)s, not started %(n)s")
            % {"d": s["states"]["done"], "i": s["states"]["in_progress"], "n": s["states"]["not_started"]}
        )
        w(_("Duplicate rows skipped: %(n)s") % {"n": s["duplicates"]})
        for key, label in (("owners", _("people")), ("leaders", _("leaders")), ("units", _("units"))):
            names = s["unlinked"][key]
            if names:
                w(_("Kept as text (未关联), %(what)s: %(names)s") % {"what": label, "names": "、".join(names[:50])})
        if s.get("duplicate_file"):
            w(_("This file was already imported on %(at)s by %(by)s (%(name)s).") % s["duplicate_file"])
        w(_("Errors: %(n)s") % {"n": s["errors"]})
        for number, errors in (
            LedgerRow.objects.filter(ledger_import=imp).exclude(errors=[]).values_list("number", "errors")[:200]
        ):
            for e in errors:
                w(
                    _("  row %(row)s, column %(col)s: %(msg)s")
                    % {"row": number, "col": e["column"], "msg": e["message"]}
                )
