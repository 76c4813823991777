from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.usage_action import UsageAction
from ..models.usage_quality import UsageQuality
from ..types import UNSET, Unset

T = TypeVar("T", bound="Usage")


@_attrs_define
class Usage:
    """A usage descriptor (API.md, Usage descriptors): priced by the rate card's item for its action and model.

    Attributes:
        action (UsageAction):
        model (str):
        cached_input_tokens (int | Unset):
        characters (int | Unset):
        count (int | Unset):
        height (int | Unset):
        input_tokens (int | Unset):
        max_output_tokens (int | Unset):
        member (str | Unset):
        output_tokens (int | Unset):
        product (str | Unset):
        quality (UsageQuality | Unset):
        seconds (float | Unset): At most 3 fraction digits.
        units (int | Unset):
        width (int | Unset):
    """

    action: UsageAction
    model: str
    cached_input_tokens: int | Unset = UNSET
    characters: int | Unset = UNSET
    count: int | Unset = UNSET
    height: int | Unset = UNSET
    input_tokens: int | Unset = UNSET
    max_output_tokens: int | Unset = UNSET
    member: str | Unset = UNSET
    output_tokens: int | Unset = UNSET
    product: str | Unset = UNSET
    quality: UsageQuality | Unset = UNSET
    seconds: float | Unset = UNSET
    units: int | Unset = UNSET
    width: int | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        action = self.action.value

        model = self.model

        cached_input_tokens = self.cached_input_tokens

        characters = self.characters

        count = self.count

        height = self.height

        input_tokens = self.input_tokens

        max_output_tokens = self.max_output_tokens

        member = self.member

        output_tokens = self.output_tokens

        product = self.product

        quality: str | Unset = UNSET
        if not isinstance(self.quality, Unset):
            quality = self.quality.value

        seconds = self.seconds

        units = self.units

        width = self.width

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "action": action,
                "model": model,
            }
        )
        if cached_input_tokens is not UNSET:
            field_dict["cached_input_tokens"] = cached_input_tokens
        if characters is not UNSET:
            field_dict["characters"] = characters
        if count is not UNSET:
            field_dict["count"] = count
        if height is not UNSET:
            field_dict["height"] = height
        if input_tokens is not UNSET:
            field_dict["input_tokens"] = input_tokens
        if max_output_tokens is not UNSET:
            field_dict["max_output_tokens"] = max_output_tokens
        if member is not UNSET:
            field_dict["member"] = member
        if output_tokens is not UNSET:
            field_dict["output_tokens"] = output_tokens
        if product is not UNSET:
            field_dict["product"] = product
        if quality is not UNSET:
            field_dict["quality"] = quality
        if seconds is not UNSET:
            field_dict["seconds"] = seconds
        if units is not UNSET:
            field_dict["units"] = units
        if width is not UNSET:
            field_dict["width"] = width

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        action = UsageAction(d.pop("action"))

        model = d.pop("model")

        cached_input_tokens = d.pop("cached_input_tokens", UNSET)

        characters = d.pop("characters", UNSET)

        count = d.pop("count", UNSET)

        height = d.pop("height", UNSET)

        input_tokens = d.pop("input_tokens", UNSET)

        max_output_tokens = d.pop("max_output_tokens", UNSET)

        member = d.pop("member", UNSET)

        output_tokens = d.pop("output_tokens", UNSET)

        product = d.pop("product", UNSET)

        _quality = d.pop("quality", UNSET)
        quality: UsageQuality | Unset
        if isinstance(_quality, Unset):
            quality = UNSET
        else:
            quality = UsageQuality(_quality)

        seconds = d.pop("seconds", UNSET)

        units = d.pop("units", UNSET)

        width = d.pop("width", UNSET)

        usage = cls(
            action=action,
            model=model,
            cached_input_tokens=cached_input_tokens,
            characters=characters,
            count=count,
            height=height,
            input_tokens=input_tokens,
            max_output_tokens=max_output_tokens,
            member=member,
            output_tokens=output_tokens,
            product=product,
            quality=quality,
            seconds=seconds,
            units=units,
            width=width,
        )

        return usage
