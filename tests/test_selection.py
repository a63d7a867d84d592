from types import SimpleNamespace

from gat_viz.selection import first_custom, point_custom, selection_parts


def test_dict_and_attribute_forms_read_alike():
    points = [{"customdata": [5, "x"]}]
    as_dict = {"selection": {"points": points, "box": [{"x": [0, 1]}], "lasso": []}}
    as_obj = SimpleNamespace(selection=SimpleNamespace(points=points, box=[{"x": [0, 1]}], lasso=None))
    assert selection_parts(as_dict) == selection_parts(as_obj) == {
        "points": points, "box": [{"x": [0, 1]}], "lasso": [],
    }  # fmt: skip
    assert first_custom(as_dict) == first_custom(as_obj) == [5, "x"]


def test_numpy_customdata_comes_back_in_key_order():
    assert point_custom({"customdata": {"1": "b", "0": "a", "10": "k", "2": "c"}}) == ["a", "b", "c", "k"]
    assert point_custom({"x": 1}) is None and point_custom({"customdata": []}) is None
    assert first_custom(None) is None and first_custom({"selection": {"points": []}}) is None
