"""The HTML repr (notebooks) links every estimator to its page in skdeep's docs."""

import html
import re

import pytest
from sklearn.base import BaseEstimator

import skdeep
from skdeep import BaggedNetEnsemble, DeepFFNClassifier, FeedForwardRegressor
from skdeep.utils._mixins import doc_version_url

ESTIMATORS = [
    skdeep.BaggedNetEnsemble,
    skdeep.ConvNetClassifier,
    skdeep.ConvNetRegressor,
    skdeep.DeepFFNClassifier,
    skdeep.DeepFFNRegressor,
    skdeep.FeedForwardClassifier,
    skdeep.FeedForwardRegressor,
    skdeep.PPRRegressor,
    skdeep.RecurrentClassifier,
    skdeep.RecurrentRegressor,
]
PAGES = "https://skdeep.readthedocs.io/en/{}/generated/skdeep.{}.html"
# newer scikit-learn (not 1.6) draws a parameter table linking into the page
HAS_PARAMETER_TABLE = hasattr(BaseEstimator, "_get_params_html")


def test_every_public_estimator_is_covered():
    public = {
        name
        for name in skdeep.__all__
        if isinstance(obj := getattr(skdeep, name), type)
        and issubclass(obj, BaseEstimator)
    }
    assert public == {cls.__name__ for cls in ESTIMATORS}


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_repr_links_to_the_estimator_page(cls):
    page = PAGES.format("latest", cls.__name__)
    assert f'href="{page}"' in cls()._repr_html_()


def test_nested_members_link_to_their_own_pages():
    page = PAGES.format("latest", "DeepFFNClassifier")
    assert f'href="{page}"' in BaggedNetEnsemble(DeepFFNClassifier())._repr_html_()


@pytest.mark.parametrize(
    "version, url", [("0.1.0.dev0", "latest"), ("0.2.0", "0.2.0"), ("1.0.1", "1.0.1")]
)
def test_version_url_follows_read_the_docs_names(version, url):
    assert doc_version_url(version) == url


def test_a_release_links_to_its_own_pages(monkeypatch):
    monkeypatch.setattr(skdeep, "__version__", "0.3.1")
    page = PAGES.format("0.3.1", "FeedForwardRegressor")
    assert FeedForwardRegressor()._get_doc_link() == page


def test_a_users_subclass_gets_no_link_to_our_pages():
    class MyNetwork(FeedForwardRegressor):
        pass

    assert MyNetwork()._get_doc_link() == ""
    assert "skdeep.readthedocs.io" not in MyNetwork()._repr_html_()


def _documented_types(cls):
    """Each parameter's type line, read from the class docstring."""
    section = cls.__doc__.split("Parameters\n")[1].split("Attributes\n")[0]
    return dict(re.findall(r"^    (\w+) : (.+)$", section, flags=re.MULTILINE))


@pytest.mark.skipif(
    not HAS_PARAMETER_TABLE, reason="scikit-learn without the parameter table"
)
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_every_parameter_has_its_docstring_as_tooltip(cls):
    text = cls()._repr_html_()
    types = _documented_types(cls)
    assert set(types) == set(cls._get_param_names())
    page = PAGES.format("latest", cls.__name__)
    for name, kind in types.items():
        assert f"{name}: {html.escape(kind)}<br><br>" in text
        assert f'href="{page}#:~:text={name},-' in text
