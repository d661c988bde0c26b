"""The QTI 3.0 names we write and read: namespaces, templates, resource type, our data attributes.

See :mod:`itembank.qti` for the references ([ASI], [IMPL]) and how our item types map.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
MANIFEST_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
SCHEMA_LOCATION = f"{NS} https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"
ITEM_RESOURCE_TYPE = "imsqti_item_xmlv3p0"
TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates"
MATCH_CORRECT = f"{TEMPLATES}/match_correct.xml"
MAP_RESPONSE = f"{TEMPLATES}/map_response.xml"
STEM_CLASS = "itembank-stem"
DATA = "data-itembank-"

ET.register_namespace("", NS)
ET.register_namespace("xsi", XSI)


def qualified(name: str) -> str:
    """``name`` in the QTI 3.0 namespace, as ElementTree spells it (``{ns}name``)."""
    return f"{{{NS}}}{name}"


def local_name(tag: object) -> str:
    """The tag without its namespace; "" for comments and processing instructions."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
