"""The item bank pages: search, write, review, history and the taxonomy."""

from __future__ import annotations

from dataclasses import asdict

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from examserver import access
from examserver.accounts.models import User
from examserver.accounts.roles import ADMIN, ITEM_WRITER, REVIEWER
from examserver.accounts.services import full_names
from examserver.authoring import bp
from examserver.authoring.charts import item_curves_svg
from examserver.authoring.forms import (
    OPTION_LETTERS,
    CompetencyForm,
    ItemFilterForm,
    ItemForm,
    TransitionForm,
)
from examserver.authoring.item_usage import exposure_rates, item_usage
from examserver.authoring.messages import error_message, field_label
from examserver.errors import refusal_message
from examserver.extensions import db
from examserver.formdata import field_values
from examserver.labels import label
from examserver.outcome import committed
from itembank import services
from itembank.assets import AssetError, check_image
from itembank.item_types import ITEM_TYPES, ItemValidationError, item_type, letters
from itembank.models import Competency, Item, ItemAccess, ItemAsset
from itembank.refusal import Refusal

STAFF = (ITEM_WRITER, REVIEWER, ADMIN)
PAGE_SIZE = 25


def actor() -> services.Actor:
    return services.Actor(current_user.id, current_user.role, request.remote_addr)


def leaf_choices() -> list[tuple[int, str]]:
    rows = db.session.scalars(select(Competency).order_by(Competency.code)).all()
    parents = {row.parent_id for row in rows}
    return [(row.id, f"{row.code} · {row.name}") for row in rows if row.id not in parents]


def all_competency_choices(blank: str) -> list[tuple[int, str]]:
    rows = db.session.scalars(select(Competency).order_by(Competency.code)).all()
    return [(0, blank)] + [(row.id, f"{row.code} · {row.name}") for row in rows]


@bp.app_context_processor
def item_helpers():
    return {
        "field_label": field_label,
    }


@bp.route("/")
@access.roles(*STAFF)
def index():
    """Item writers' and reviewers' home: their work queue in the item bank."""
    counts = dict(db.session.execute(select(Item.status, func.count(Item.id)).group_by(Item.status)).all())
    mine = db.session.scalars(
        select(Item)
        .where(Item.author_id == current_user.id, Item.status.in_(("draft", "in_review")))
        .order_by(Item.updated_at.desc())
        .limit(20)
    ).all()
    queue = []
    if current_user.role in (REVIEWER, ADMIN):
        queue = db.session.scalars(
            select(Item)
            .where(Item.status == "in_review", Item.author_id != current_user.id)
            .order_by(Item.updated_at)
            .limit(50)
        ).all()
    return render_template("authoring/index.html", counts=counts, mine=mine, queue=queue)


@bp.route("/butir")
@access.roles(*STAFF)
def items():
    """Search and filter the bank."""
    form = ItemFilterForm(request.args)
    form.kompetensi.choices = all_competency_choices(_("Semua kompetensi"))
    authors = db.session.execute(
        select(User.id, User.full_name).where(User.id.in_(select(Item.author_id))).order_by(User.full_name)
    ).all()
    form.penulis.choices = [(0, _("Semua penulis"))] + [(uid, name) for uid, name in authors]
    criteria = services.ItemFilter()
    if form.validate():
        criteria = services.ItemFilter(
            text=form.q.data or None,
            competency_id=form.kompetensi.data or None,
            type_key=form.tipe.data or None,
            status=form.status.data or None,
            author_id=form.penulis.data or None,
            b_min=float(form.b_min.data) if form.b_min.data is not None else None,
            b_max=float(form.b_max.data) if form.b_max.data is not None else None,
            **_exposure_filter(form.paparan_min.data, form.paparan_max.data),
        )
    query = services.search_items(db.session, criteria)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(request.args.get("halaman", 1, type=int) or 1, 1)
    rows = db.session.scalars(
        query.options(selectinload(Item.competency), selectinload(Item.parameters))
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    args = {k: v for k, v in request.args.items() if k != "halaman"}
    return render_template(
        "authoring/items.html",
        form=form,
        items=rows,
        total=total,
        page=page,
        has_next=page * PAGE_SIZE < total,
        args=args,
        authors=full_names(db.session, (r.author_id for r in rows)),
    )


def _exposure_filter(low, high) -> dict:
    """Item ids to keep or leave out for an exposure range in percent (never shown = 0%)."""
    if low is None and high is None:
        return {}
    rates = exposure_rates(db.session)
    low_rate = float(low) / 100 if low is not None else 0.0
    high_rate = float(high) / 100 if high is not None else 1.0
    if low_rate > 0:
        return {"item_ids": frozenset(i for i, r in rates.items() if low_rate <= r <= high_rate)}
    return {"exclude_ids": frozenset(i for i, r in rates.items() if r > high_rate)}


def _answer_from_form(type_key: str, form: ItemForm, option_count: int) -> dict:
    if type_key in ("single_choice", "true_false"):
        return {"correct": form.correct.data}
    if type_key == "multiple_response":
        return {"correct": list(form.correct_multi.data or [])}
    if type_key == "weighted_options":
        weights = {}
        for letter in letters(option_count):
            value = getattr(form, f"weight_{letter}").data
            if value is not None:
                weights[letter] = value
        return {"weights": weights}
    return {"value": form.numeric_value.data, "tolerance": form.numeric_tolerance.data or 0}


def _options_from_form(type_key: str, form: ItemForm) -> list[str]:
    if type_key == "numeric":
        return []
    if type_key == "true_false":
        return [_("Benar"), _("Salah")]
    return [getattr(form, f"option_{letter}").data or "" for letter in OPTION_LETTERS]


def _fill_form(form: ItemForm, item: Item) -> None:
    version = item.current_version
    form.competency.data = item.competency_id
    form.stem.data = version.stem
    form.shuffle.data = item.shuffle_options
    for letter, option in zip(letters(len(version.options)), version.options, strict=True):
        getattr(form, f"option_{letter}").data = option
    answer = version.answer
    if "weights" in answer:
        for letter, weight in answer["weights"].items():
            getattr(form, f"weight_{letter}").data = weight
    elif isinstance(answer.get("correct"), list):
        form.correct_multi.data = answer["correct"]
    elif "correct" in answer:
        form.correct.data = answer["correct"]
    else:
        form.numeric_value.data = answer["value"]
        form.numeric_tolerance.data = answer["tolerance"]


def _report(error: ItemValidationError | Refusal | AssetError) -> None:
    field = getattr(error, "field", "")
    params = getattr(error, "params", {})
    message = (
        refusal_message(error.code, **params) if isinstance(error, Refusal) else error_message(error.code, **params)
    )
    flash(f"{field_label(field)}: {message}" if field else message, "error")


def _uploaded_asset(form: ItemForm) -> ItemAsset | None:
    upload = form.image.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    checked = check_image(upload.read(400 * 1024))
    asset = db.session.scalar(select(ItemAsset).where(ItemAsset.sha256 == checked.sha256))
    if asset is None:
        asset = ItemAsset(
            **asdict(checked), alt_text=(form.image_alt.data or "").strip(), uploaded_by_id=current_user.id
        )
        db.session.add(asset)
    return asset


@bp.route("/butir/baru", methods=["GET", "POST"])
@access.roles(ITEM_WRITER, ADMIN)
def create_item():
    """Write a new item (choose its type first)."""
    type_key = request.args.get("tipe", "")
    if type_key not in ITEM_TYPES:
        return render_template("authoring/choose_type.html", types=list(ITEM_TYPES))
    form = ItemForm()
    form.competency.choices = leaf_choices()
    if request.method == "GET":
        form.shuffle.data = item_type(type_key).shufflable
    if form.validate_on_submit():
        options = _options_from_form(type_key, form)
        try:
            asset = _uploaded_asset(form)
            filled = len([o for o in options if o.strip()]) if type_key != "true_false" else 2
            item = services.create_item(
                db.session,
                actor(),
                competency_id=form.competency.data,
                type_key=type_key,
                stem=form.stem.data,
                options=options,
                answer=_answer_from_form(type_key, form, filled),
                shuffle=form.shuffle.data,
                note=form.note.data or None,
                assets=[asset] if asset else [],
            )
        except (ItemValidationError, Refusal, AssetError) as error:
            db.session.rollback()
            _report(error)
        else:
            return committed(
                _("Butir %(code)s disimpan sebagai draf.", code=item.code), url_for("authoring.item", item_id=item.id)
            )
    return render_template(
        "authoring/item_form.html", form=form, type_key=type_key, item=None, letters=OPTION_LETTERS
    ), (422 if request.method == "POST" else 200)


@bp.route("/butir/<int:item_id>/ubah", methods=["GET", "POST"])
@access.roles(ITEM_WRITER, ADMIN)
def edit_item(item_id: int):
    """Edit a draft: the edit becomes a new version."""
    item = db.get_or_404(Item, item_id)
    form = ItemForm()
    form.competency.choices = leaf_choices()
    if request.method == "GET":
        _fill_form(form, item)
    elif form.validate_on_submit():
        options = _options_from_form(item.item_type, form)
        filled = len([o for o in options if o.strip()]) if item.item_type != "true_false" else 2
        try:
            asset = _uploaded_asset(form)
            assets = None
            if asset is not None or form.remove_images.data:
                kept = [] if form.remove_images.data else list(item.current_version.assets)
                assets = kept + ([asset] if asset is not None else [])
            version = services.edit_item(
                db.session,
                actor(),
                item,
                stem=form.stem.data,
                options=options,
                answer=_answer_from_form(item.item_type, form, filled),
                shuffle=form.shuffle.data,
                competency_id=form.competency.data,
                note=form.note.data or None,
                assets=assets,
            )
        except (ItemValidationError, Refusal, AssetError) as error:
            db.session.rollback()
            _report(error)
        else:
            return committed(_("Versi %(n)d disimpan.", n=version.number), url_for("authoring.item", item_id=item.id))
    if item.status != "draft":
        flash(refusal_message("item.only_drafts_change"), "error")
    return render_template(
        "authoring/item_form.html", form=form, type_key=item.item_type, item=item, letters=OPTION_LETTERS
    ), (422 if request.method == "POST" else 200)


@bp.route("/butir/<int:item_id>")
@access.roles(*STAFF)
def item(item_id: int):
    """An item: content, key, workflow, history, versions, parameters and curves."""
    item = db.get_or_404(Item, item_id)
    if services.record_view(db.session, actor(), item):
        db.session.commit()
    names = full_names(
        db.session, [item.author_id, *(e.actor_id for e in item.events), *(v.created_by_id for v in item.versions)]
    )
    views = db.session.scalar(select(func.count(ItemAccess.id)).where(ItemAccess.item_id == item.id))
    parameter = item.current_parameter
    return render_template(
        "authoring/item.html",
        item=item,
        version=item.current_version,
        kind=item_type(item.item_type),
        letters=letters(len(item.current_version.options)),
        transitions=services.allowed_transitions(item, actor()),
        transition_form=TransitionForm(),
        names=names,
        views=views,
        parameter=parameter,
        curves=item_curves_svg(parameter) if parameter else None,
        usage=item_usage(db.session, item),
    )


@bp.route("/butir/<int:item_id>/status", methods=["POST"])
@access.roles(*STAFF)
def change_status(item_id: int):
    """Move an item through the workflow (submit, approve, return, pilot, operational, retire)."""
    item = db.get_or_404(Item, item_id)
    form = TransitionForm()
    if form.validate_on_submit():
        try:
            services.transition(db.session, actor(), item, form.to_status.data, form.comment.data)
        except Refusal as error:
            db.session.rollback()
            _report(error)
        else:
            db.session.commit()
            flash(
                _("Status butir %(code)s: %(status)s.", code=item.code, status=label("item_status", item.status)),
                "success",
            )
    return redirect(url_for("authoring.item", item_id=item.id)), 303


@bp.route("/butir/<int:item_id>/versi")
@access.roles(*STAFF)
def diff(item_id: int):
    """Differences between two versions of an item."""
    item = db.get_or_404(Item, item_id)
    numbers = [v.number for v in item.versions]
    new = request.args.get("ke", numbers[-1], type=int)
    old = request.args.get("dari", max(new - 1, 1), type=int)
    by_number = {v.number: v for v in item.versions}
    if old not in by_number or new not in by_number:
        abort(404)
    return render_template(
        "authoring/diff.html",
        item=item,
        old=by_number[old],
        new=by_number[new],
        numbers=numbers,
        changes=services.version_diff(by_number[old], by_number[new]),
        names=full_names(db.session, [by_number[old].created_by_id, by_number[new].created_by_id]),
    )


@bp.route("/aset/<int:asset_id>")
@access.roles(*STAFF)
def asset(asset_id: int):
    """An item image, for staff pages."""
    row = db.session.get(ItemAsset, asset_id)
    if row is None:
        abort(404)
    response = make_response(row.data)
    response.headers["Content-Type"] = row.content_type
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.route("/kompetensi", methods=["GET"])
@access.roles(*STAFF)
def competencies():
    """The competency taxonomy as a tree, with item counts."""
    rows = db.session.scalars(select(Competency).order_by(Competency.sort_order, Competency.code)).all()
    counts = dict(
        db.session.execute(select(Item.competency_id, func.count(Item.id)).group_by(Item.competency_id)).all()
    )
    form = CompetencyForm()
    form.parent.choices = all_competency_choices(_("(tingkat teratas)"))
    roots = [row for row in rows if row.parent_id is None]
    return render_template("authoring/competencies.html", roots=roots, counts=counts, form=form)


@bp.route("/kompetensi", methods=["POST"])
@access.roles(ADMIN)
def create_competency():
    """Add a node to the taxonomy (admins only)."""
    form = CompetencyForm()
    form.parent.choices = all_competency_choices("")
    if form.validate_on_submit():
        try:
            node = services.create_competency(
                db.session,
                parent_id=form.parent.data or None,
                **field_values(form, "code", "name", "name_en", "description"),
            )
        except ItemValidationError as error:
            db.session.rollback()
            _report(error)
        else:
            db.session.commit()
            flash(_("Kompetensi %(code)s ditambahkan.", code=node.code), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(url_for("authoring.competencies")), 303
