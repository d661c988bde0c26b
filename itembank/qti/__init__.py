"""Items as IMS QTI 3.0 (``qti-assessment-item``) and QTI 3.0 content packages.

References (1EdTech, final release 1 May 2022):

- [ASI] QTI 3.0 Assessment, Section and Item Information Model,
  https://www.imsglobal.org/spec/qti/v3p0/info/ (the ``AssessmentItem``, ``ResponseDeclaration``,
  ``OutcomeDeclaration``, ``ItemBody``, ``ChoiceInteraction``, ``SimpleChoice``,
  ``TextEntryInteraction``, ``Mapping``/``MapEntry`` and ``Equal`` classes).
- [IMPL] QTI 3.0 Best Practices and Implementation Guide, https://www.imsglobal.org/spec/qti/v3p0/impl/
  (the sections on choice and text-entry interactions, response processing templates, and
  packaging: ``imsmanifest.xml`` with resources of type ``imsqti_item_xmlv3p0``).

How our item types map (one response variable ``RESPONSE``, one outcome ``SCORE``, float):

=================  ===============================================================================
single_choice      ``qti-choice-interaction max-choices="1"``, cardinality single, base-type
true_false         identifier, ``qti-correct-response``; template ``match_correct``.
multiple_response  ``max-choices="0"`` (no limit, so the count of keys is not given away),
                   cardinality multiple; ``match_correct`` (all or nothing, as we score it).
weighted_options   cardinality single with a ``qti-mapping`` holding a ``qti-map-entry`` per choice
                   (its weight); template ``map_response``; the correct response is a top choice.
numeric            ``qti-text-entry-interaction``, base-type float; QTI has no template for a
                   tolerance, so the response processing is written out: ``qti-equal
                   tolerance-mode="absolute" tolerance="t"`` (``exact`` when t = 0) of the response
                   and ``qti-correct`` sets SCORE to 1, else 0.
=================  ===============================================================================

Choice identifiers are the option letters (A, B, ...). The stem sits in
``<div class="itembank-stem">`` at the top of the item body. What QTI cannot say for itself is kept
on ``qti-item-body`` as data attributes (QTI 3 allows ``data-*`` on body content, [ASI]
"dataExtension"): ``data-itembank-type``, ``data-itembank-competency``, ``data-itembank-status``
and the current IRT parameters ``data-itembank-a``/``-b``/``-c``. Other players ignore them; our
import restores type and competency exactly from them. Items from other tools (without these
attributes) are read too: the type is inferred from the interaction, the competency must then be
supplied (``default_competency``), and the stem is the body without the interaction.

Reading is defensive (:mod:`~itembank.qti.safe_parsing`): XML with a DOCTYPE or ENTITY declaration
is refused before parsing (no entity expansion, no external entities: XXE and "billion laughs"),
only UTF-8 is accepted, sizes and nesting depth are capped, and ZIP entries with absolute or ``..``
names, encryption, or more than 20 MB uncompressed in total are refused.

A module per concern, the names below re-exported here: :mod:`~itembank.qti.vocabulary` (the QTI
names), :mod:`~itembank.qti.fragments` (HTML fragments <-> XML elements),
:mod:`~itembank.qti.safe_parsing`, :mod:`~itembank.qti.export` and :mod:`~itembank.qti.importing`.
"""

from itembank.qti.export import export_package, item_to_qti
from itembank.qti.importing import item_from_xml, parse_package
from itembank.qti.safe_parsing import MAX_BYTES, MAX_DEPTH, MAX_FILES, parse_xml
from itembank.qti.vocabulary import ITEM_RESOURCE_TYPE, MAP_RESPONSE, MATCH_CORRECT, NS

__all__ = [
    "ITEM_RESOURCE_TYPE",
    "MAP_RESPONSE",
    "MATCH_CORRECT",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_FILES",
    "NS",
    "export_package",
    "item_from_xml",
    "item_to_qti",
    "parse_package",
    "parse_xml",
]
