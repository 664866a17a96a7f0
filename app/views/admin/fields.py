"""Form fields of generated screens for our types: labelled enums, Montréal times, days of the week."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l, to_user_timezone, to_utc
from wtforms import DateTimeLocalField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, ValidationError

from ...models.catalogue import WEEKDAY_LABELS

class LabelledEnumField(SelectField):
    """A select of a LabelledEnum showing translated labels and giving back the member."""

    def __init__(self, label=None, validators=None, enum_class=None, allow_blank=False, **kwargs):
        self.enum_class = enum_class
        self.allow_blank = allow_blank
        choices = [SelectChoice(member.value, member.label) for member in enum_class]
        if allow_blank:
            choices.insert(0, SelectChoice("", "—"))
        super().__init__(label, validators, coerce=self._coerce, choices=choices, **kwargs)

    def _coerce(self, value):
        if value is None or value == "":
            return None
        return value if isinstance(value, self.enum_class) else self.enum_class(value)

    def pre_validate(self, form):
        if self.data is None and self.allow_blank:
            return
        if not isinstance(self.data, self.enum_class):
            # a ValidationError (not a bare ValueError, which WTForms 3 lets through as a 500)
            raise ValidationError(self.gettext("Not a valid choice."))


class LocalDateTimeField(DateTimeLocalField):
    """A date and time typed in Montréal time, stored as an aware UTC instant."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%dT%H:%M", **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        if isinstance(self.data, dt.datetime):
            local = to_user_timezone(self.data) if self.data.tzinfo else self.data
            return local.strftime(self.format[0])
        return ""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, dt.datetime) and self.data.tzinfo is None:
            self.data = to_utc(self.data).replace(tzinfo=dt.UTC)



def weekday_field(label=_l("Day of the week")) -> SelectField:
    return SelectField(label, [DataRequired()], coerce=int,
                       choices=[SelectChoice(day, name) for day, name in WEEKDAY_LABELS.items()])
