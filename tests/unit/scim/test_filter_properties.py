"""Property-based tests of the filter parser (RFC 7644 §3.4.2.2): generated filters over
USER parse and validate; any other text, mutated or random, is either a filter or a 400
invalidFilter, never another exception. Settings: ``tests/common/properties.py``."""

from hypothesis import given
from hypothesis import strategies as st

from livepreso_scim_addon.scim.errors import ScimError
from livepreso_scim_addon.scim.filter import parse_filter, parse_path, validate_filter
from livepreso_scim_addon.scim.schemas import USER
from tests.common.filters import VALID_USER_FILTERS
from tests.common.properties import UNIT, mutated, valid_user_filters

#: the grammar's own words and characters, so random text often gets past the tokenizer
FILTER_WORDS = st.lists(
    st.sampled_from(
        ["userName", "emails", "name.givenName", "active", "meta.created", "eq", "co", "pr", "gt", "and", "or",
         "not", "(", ")", "[", "]", ".", '"x"', '"', "true", "null", "1", "-1.5e3", " ", "type", "urn:a:b:c"]
    ),
    max_size=10,
).map("".join)


def parse_and_validate(text):
    """parse_filter then validate_filter: a tree, or the ScimError raised (checked to be a 400)."""
    try:
        node = parse_filter(text)
        validate_filter(USER, node)
    except ScimError as error:
        assert error.status == 400, (text, error.status, error.detail)
        assert error.scim_type == "invalidFilter", (text, error.scim_type, error.detail)
        assert error.detail
        return error
    return node


@UNIT
@given(valid_user_filters())
def test_generated_valid_filters_parse_and_validate(text):
    try:
        validate_filter(USER, parse_filter(text))
    except ScimError as error:
        raise AssertionError(f"{text!r}: {error.detail}") from None


@UNIT
@given(st.one_of(mutated(valid_user_filters()), mutated(st.sampled_from(VALID_USER_FILTERS))))
def test_mutated_filters_are_filters_or_invalid_filter(text):
    parse_and_validate(text)


@UNIT
@given(st.one_of(st.text(max_size=40), FILTER_WORDS, st.text(alphabet='()[]."\\ azeqr0-:$', max_size=40)))
def test_random_text_is_a_filter_or_invalid_filter(text):
    parse_and_validate(text)


@UNIT
@given(st.one_of(st.text(max_size=30), FILTER_WORDS, mutated(st.sampled_from(["emails[type eq \"work\"].value", "name.givenName", "members"]))))
def test_random_paths_are_paths_or_invalid_path(text):
    try:
        parse_path(text)
    except ScimError as error:
        assert (error.status, error.scim_type) == (400, "invalidPath"), (text, error.detail)


@UNIT
@given(st.integers(45, 60), st.sampled_from(["(", "not (", "emails[type eq \"w\" and ("]))
def test_deep_nesting_is_an_invalid_filter_not_a_recursion_error(depth, opening):
    parse_and_validate(opening * depth + 'userName eq "x"' + ")" * depth)
