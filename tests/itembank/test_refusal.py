from itembank.refusal import Refusal


def test_a_refusal_may_carry_a_parameter_named_code():
    # calibration.content_changed interpolates the item's code as %(code)s.
    refusal = Refusal("calibration.content_changed", code="TWK-001")
    assert refusal.code == "calibration.content_changed"
    assert refusal.params == {"code": "TWK-001"}
    assert refusal.status == 409
