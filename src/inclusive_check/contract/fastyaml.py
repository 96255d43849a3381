"""YAML through libyaml (several times faster than the pure-Python parser) with the contract's safe reading:
the constructors of ``load.YamlLoader`` (dates stay text, floats become Decimal, duplicate and non-text keys
fail) and no anchors or aliases (refused by a walk over the composed nodes, each visited once, before anything
is built, so an alias bomb costs its text's length). Where libyaml is missing, ``YamlLoader`` itself."""

from __future__ import annotations

from typing import Any

import yaml

from .load import YamlLoader

_CLoader: Any = getattr(yaml, "CSafeLoader", None)


def _refuse_aliases(root: yaml.Node) -> None:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:  # the composer shares the node of an anchor with every alias to it
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases are not allowed in documents", node.start_mark
            )
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value


if _CLoader is not None:

    class _Fast(_CLoader):  # type: ignore[misc]
        yaml_constructors = YamlLoader.yaml_constructors  # the contract's constructors, shared


def load(text: str) -> Any:
    """The one YAML document in ``text`` (None when empty); a ``yaml.YAMLError`` with its mark when refused."""
    if _CLoader is None:
        return yaml.load(text, Loader=YamlLoader)
    loader = _Fast(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _refuse_aliases(root)
        return loader.construct_document(root)
    finally:
        loader.dispose()
