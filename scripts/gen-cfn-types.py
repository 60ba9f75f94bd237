#!/usr/bin/env python3
"""Generate cfn/src/resources/*.rs from CloudFormation resource provider schemas.

The schemas come from the cfn-lint package (pinned in scripts/install-tools):
cfnlint/data/schemas/providers/us-east-1.json maps each resource type name to
a hash, and cfnlint/data/schemas/resources/<hash>.json is that type's resource
provider schema. For every type in TYPES below this writes one Rust module per
AWS service (cfn/src/resources/<service>.rs) plus cfn/src/resources/mod.rs with
the `ResourceProperties` enum, and formats them with rustfmt.

Usage (with a Python that has cfn-lint installed, e.g. the vigil venv):

    python3 scripts/gen-cfn-types.py                 # (re)write the files
    python3 scripts/gen-cfn-types.py --check         # exit 1 if they are stale
    python3 scripts/gen-cfn-types.py --list-untyped  # properties left as serde_json::Value

Mapping (see cfn/src/lib.rs for why): string and string enums -> crate::Expr,
integer -> crate::Value<i64>, number -> crate::Value<f64>, boolean ->
crate::Value<bool>, array -> Vec, object with properties -> struct, map ->
BTreeMap<String, _>, anything else (mixed types, untyped JSON) ->
serde_json::Value, except the OVERRIDES. Read-only properties (attributes
that only `Fn::GetAtt` can read) are not settable and get no field; they are
listed in each struct's ATTRIBUTES.

Stdlib only, plus `cfnlint` to locate its data directory; rustfmt from the
repository's pinned toolchain.
"""

import argparse
import json
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO, "cfn", "src", "resources")
SCRIPT = "scripts/gen-cfn-types.py"

# Resource type -> (service module, struct name). Exactly the types vigil emits.
TYPES = {
    "AWS::IAM::Role": ("iam", "Role"),
    "AWS::IAM::Policy": ("iam", "Policy"),
    "AWS::Lambda::Function": ("lambda", "Function"),
    "AWS::Logs::LogGroup": ("logs", "LogGroup"),
    "AWS::StepFunctions::StateMachine": ("stepfunctions", "StateMachine"),
    "AWS::KMS::Key": ("kms", "Key"),
    "AWS::KMS::Alias": ("kms", "Alias"),
    "AWS::S3::Bucket": ("s3", "Bucket"),
    "AWS::S3::BucketPolicy": ("s3", "BucketPolicy"),
}

SERVICE_TITLES = {
    "iam": "AWS Identity and Access Management (`AWS::IAM::*`)",
    "lambda": "AWS Lambda (`AWS::Lambda::*`)",
    "logs": "Amazon CloudWatch Logs (`AWS::Logs::*`)",
    "stepfunctions": "AWS Step Functions (`AWS::StepFunctions::*`)",
    "kms": "AWS Key Management Service (`AWS::KMS::*`)",
    "s3": "Amazon S3 (`AWS::S3::*`)",
}

POLICY_DOCUMENT = "crate::iam::PolicyDocument"
# (resource type, owning definition or None for the resource itself, property)
# -> Rust type. Each must match a property, or generation fails.
OVERRIDES = {
    # IAM policy documents: the schemas say `object | string`; vigil writes
    # them only through the typed, wildcard-free crate::iam::PolicyDocument.
    ("AWS::IAM::Role", None, "AssumeRolePolicyDocument"): POLICY_DOCUMENT,
    ("AWS::IAM::Role", "Policy", "PolicyDocument"): POLICY_DOCUMENT,
    ("AWS::IAM::Policy", None, "PolicyDocument"): POLICY_DOCUMENT,
    ("AWS::KMS::Key", None, "KeyPolicy"): POLICY_DOCUMENT,
    ("AWS::S3::BucketPolicy", None, "PolicyDocument"): POLICY_DOCUMENT,
    # The ASL definition is a JSON object built elsewhere (state-machine crate).
    ("AWS::StepFunctions::StateMachine", None, "Definition"): "serde_json::Value",
    # Schema: values `string | integer | boolean`; vigil substitutes strings,
    # often intrinsics (ARNs via Fn::GetAtt), so they are Exprs.
    ("AWS::StepFunctions::StateMachine", None, "DefinitionSubstitutions"): "BTreeMap<String, crate::Expr>",
    # Schema: values of any JSON type, but the Lambda API takes only string
    # values; Exprs let a variable hold a Ref or Fn::GetAtt.
    ("AWS::Lambda::Function", "Environment", "Variables"): "BTreeMap<String, crate::Expr>",
}

JSON_VALUE = "serde_json::Value"
EXPR = "crate::Expr"

RUST_KEYWORDS = {
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move",
    "mut", "pub", "ref", "return", "static", "struct", "trait", "true", "type", "unsafe",
    "use", "where", "while", "abstract", "become", "box", "do", "final", "macro", "override",
    "priv", "try", "typeof", "unsized", "virtual", "yield",
}
NOT_RAW = {"self", "Self", "super", "crate", "_"}
# Struct names that would shadow names the generated code uses.
RESERVED_TYPE_NAMES = {"BTreeMap", "String", "Vec", "Option", "Box", "Deserialize", "Serialize"}


class SchemaError(Exception):
    pass


# ---------------------------------------------------------------- naming


# Words whose own capitals would split them ("GiB" -> "gi_b").
WORDS = {"GiB": "Gib"}


def snake(name):
    for word, title in WORDS.items():
        name = name.replace(word, title)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def field_ident(prop):
    ident = snake(prop)
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", ident):
        raise SchemaError(f"property {prop!r} gives no Rust identifier")
    if ident in NOT_RAW:
        return ident + "_"
    if ident in RUST_KEYWORDS:
        return "r#" + ident
    return ident


def pascal(name):
    parts = re.split(r"[^A-Za-z0-9]+", name)
    return "".join(p[:1].upper() + p[1:] for p in parts if p)


# ---------------------------------------------------------------- docs


def first_sentence(text):
    line = text.strip().split("\n")[0].strip()
    m = re.search(r"(?<=[A-Za-z0-9)`'\"][.!?])\s+(?=[A-Z`*(\[])", line)
    return line[: m.start()] if m else line


def sanitize(text):
    """One sentence of schema prose as Markdown rustdoc renders cleanly.

    Links keep their text, ``double`` backticks become `single`, and outside
    code spans the characters rustdoc would read as links, HTML or emphasis
    are escaped.
    """
    s = re.sub(r"\[([^\]]*)\]\(([^)]*)\)", r"\1", text)
    s = re.sub(r"``(.+?)``", r"`\1`", s)
    if s.count("`") % 2:
        s = s.replace("`", "")
    out = []
    for i, piece in enumerate(re.split(r"(`[^`]*`)", s)):
        if i % 2:
            out.append(piece)
            continue
        piece = piece.replace("\\", "\\\\")
        piece = re.sub(r"([\[\]<>*_#|])", r"\\\1", piece)
        piece = re.sub(r"(https?://[^\s)\\]+)", r"<\1>", piece)
        out.append(piece)
    s = "".join(out).strip()
    s = re.sub(r"\s+", " ", s)
    if s and s[-1] not in ".!?:":
        s += "."
    return s


def doc_text(description):
    if not description or not description.strip():
        return None
    return sanitize(first_sentence(description))


def literal(v):
    return json.dumps(v, ensure_ascii=False)


def constraint_doc(schema):
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        inner = constraint_doc(schema["items"])
        return inner and inner.replace("Allowed values", "Allowed values of each item", 1)
    if "const" in schema:
        v = schema["const"]
        return f"Must be `{v if isinstance(v, str) else literal(v)}`."
    if "enum" in schema:
        vals = schema["enum"]
        if all(isinstance(v, str) for v in vals):
            return "Allowed values: " + ", ".join(f"`{v}`" for v in vals) + "."
        return "Allowed values: " + ", ".join(literal(v) for v in vals) + "."
    return None


def doc_lines(*parts):
    paras = [p for p in parts if p]
    lines = []
    for i, p in enumerate(paras):
        if i:
            lines.append("///")
        lines.append(f"/// {p}")
    return lines


# ---------------------------------------------------------------- schema model


class Field:
    def __init__(self, prop, ty, required, doc, struct_ref):
        self.prop = prop
        self.ty = ty
        self.required = required
        self.doc = doc
        self.struct_ref = struct_ref  # struct name when the type is directly that struct
        self.boxed = False


class Struct:
    def __init__(self, name, doc, deny_unknown):
        self.name = name
        self.doc = doc
        self.deny_unknown = deny_unknown
        self.fields = []


class ResourceGen:
    """Rust types of one resource type's schema."""

    def __init__(self, type_name, service, struct_name, schema):
        self.type_name = type_name
        self.service = service
        self.struct_name = struct_name
        self.module = snake(struct_name)
        self.schema = schema
        self.definitions = schema.get("definitions", {})
        self.nested = {}  # name -> Struct (definitions and inline objects)
        self.nested_origin = {}  # name -> schema object it came from
        self.nested_path = {}  # name -> first property path that reached it
        self.untyped = []  # "Owner.Prop" paths mapped to serde_json::Value
        self.used_overrides = set()
        self.read_only = self._read_only_paths()

    # ---- read-only properties

    def _read_only_paths(self):
        paths = set()
        for p in self.schema.get("readOnlyProperties", []):
            parts = p.split("/")
            if parts[:2] != ["", "properties"]:
                raise SchemaError(f"{self.type_name}: odd readOnlyProperties entry {p!r}")
            paths.add(tuple(parts[2:]))
        return paths

    def attributes(self):
        return sorted(".".join(p) for p in self.read_only if "*" not in p)

    def _is_read_only(self, path):
        return tuple(path) in self.read_only

    # ---- type resolution

    def resolve_ref(self, ref):
        prefix = "#/definitions/"
        if not ref.startswith(prefix):
            raise SchemaError(f"{self.type_name}: unsupported $ref {ref!r}")
        name = ref[len(prefix):]
        if name not in self.definitions:
            raise SchemaError(f"{self.type_name}: $ref to missing definition {name!r}")
        return name, self.definitions[name]

    def is_struct_schema(self, s):
        return s.get("type") == "object" and (
            "properties" in s or self._branch_objects(s) is not None or self._is_empty_closed_object(s)
        )

    @staticmethod
    def _is_empty_closed_object(s):
        return (
            s.get("type") == "object"
            and s.get("additionalProperties") is False
            and not s.get("properties")
            and "patternProperties" not in s
            and "oneOf" not in s
            and "anyOf" not in s
        )

    @staticmethod
    def _branch_objects(s):
        """Branches of an object's oneOf/anyOf when every branch is a property set."""
        for key in ("oneOf", "anyOf"):
            branches = s.get(key)
            if branches and all("properties" in b and "type" not in b for b in branches):
                return key, branches
        return None

    def rust_type(self, s, owner, prop, path, in_module):
        """(Rust type, struct name if the type is exactly that struct) for schema s.

        owner: definition name owning the property (None at the resource's top).
        path: property path from the resource root, for readOnlyProperties.
        in_module: True when the type is written inside the resource's submodule.
        """
        key = (self.type_name, owner, prop)
        if key in OVERRIDES:
            self.used_overrides.add(key)
            return OVERRIDES[key], None
        where = f"{owner or self.struct_name}.{prop}"
        if "$ref" in s:
            name, target = self.resolve_ref(s["$ref"])
            if self.is_struct_schema(target):
                self.build_struct(name, target, path)
                return self.qualify(name, in_module), name
            # A definition that is a scalar, an array or a map: inline it.
            return self.rust_type(target, name, prop, path, in_module)
        ty = s.get("type")
        if isinstance(ty, list):
            if len(ty) == 1:
                ty = ty[0]
            else:
                self.untyped.append(f"{where} (type {ty})")
                return JSON_VALUE, None
        if ty is None:
            self.untyped.append(f"{where} (no type)")
            return JSON_VALUE, None
        if ty in ("string", "integer", "number", "boolean"):
            for key_ in ("oneOf", "anyOf"):
                for branch in s.get(key_, []):
                    if set(branch) - {"format", "description", "pattern", "maxLength", "minLength"}:
                        raise SchemaError(f"{where}: {key_} branch {branch} on a scalar")
            return {
                "string": EXPR,
                "integer": "crate::Value<i64>",
                "number": "crate::Value<f64>",
                "boolean": "crate::Value<bool>",
            }[ty], None
        if ty == "array":
            items = s.get("items")
            if items is None:
                self.untyped.append(f"{where} (array items untyped)")
                return f"Vec<{JSON_VALUE}>", None
            inner, _ = self.rust_type(items, owner, prop, path + ["*"], in_module)
            return f"Vec<{inner}>", None
        if ty == "object":
            if s.get("properties") or self._branch_objects(s) or self._is_empty_closed_object(s):
                name = pascal(prop)
                if name in self.definitions or (
                    name in self.nested_origin and self.nested_origin[name] is not s
                ):
                    name = pascal(owner or self.struct_name) + name
                self.build_struct(name, s, path)
                return self.qualify(name, in_module), name
            value_schemas = list(s.get("patternProperties", {}).values())
            if isinstance(s.get("additionalProperties"), dict):
                value_schemas.append(s["additionalProperties"])
            if value_schemas:
                if any(v != value_schemas[0] for v in value_schemas):
                    self.untyped.append(f"{where} (map with differing value schemas)")
                    return f"BTreeMap<String, {JSON_VALUE}>", None
                inner, _ = self.rust_type(value_schemas[0], owner, prop, path + ["*"], in_module)
                return f"BTreeMap<String, {inner}>", None
            self.untyped.append(f"{where} (untyped object)")
            return JSON_VALUE, None
        raise SchemaError(f"{where}: unsupported type {ty!r}")

    def qualify(self, name, in_module):
        return name if in_module else f"{self.module}::{name}"

    # ---- structs

    def fields_of(self, s, owner, path, in_module):
        props = dict(s.get("properties", {}))
        required = set(s.get("required", []))
        branches = self._branch_objects(s)
        if branches:
            # Alternatives (oneOf/anyOf) of property sets: one struct with every
            # property; a property is required only if every branch requires it.
            _, alts = branches
            for b in alts:
                for k, v in b.get("properties", {}).items():
                    if k in props and props[k] != v:
                        raise SchemaError(f"{owner}.{k}: differs between alternatives")
                    props[k] = v
            common = set.intersection(*(set(b.get("required", [])) for b in alts))
            required |= common
        fields = []
        idents = {}
        for prop in sorted(props):
            if self._is_read_only(path + [prop]):
                continue
            ps = props[prop]
            ty, struct_ref = self.rust_type(ps, owner, prop, path + [prop], in_module)
            target = self.resolve_ref(ps["$ref"])[1] if "$ref" in ps else ps
            desc = ps.get("description") or target.get("description")
            doc = doc_lines(
                doc_text(desc) or f"`{prop}` (the schema does not describe it).",
                constraint_doc(ps) or constraint_doc(target),
            )
            ident = field_ident(prop)
            if ident in idents:
                raise SchemaError(f"{owner}: {prop} and {idents[ident]} are both `{ident}`")
            idents[ident] = prop
            fields.append(Field(prop, ty, prop in required, doc, struct_ref))
        return fields

    def alternatives_doc(self, s):
        for key, word in (("oneOf", "Exactly one"), ("anyOf", "At least one")):
            branches = s.get(key)
            if branches and all(set(b) == {"required"} or "properties" in b for b in branches):
                names = []
                for b in branches:
                    req = b.get("required", [])
                    if len(req) != 1:
                        return None
                    names.append(f"`{req[0]}`")
                return f"{word} of {', '.join(names)} must be set."
        return None

    def build_struct(self, name, s, path):
        """Struct `name` for object schema s, reached at property path `path`."""
        if name in self.nested_origin:
            if self.nested_origin[name] is not s:
                raise SchemaError(f"{self.type_name}: two different types named {name}")
            # Fields were built for the first path; read-only properties
            # must be the same below every path that reaches the struct.
            if self._read_only_below(path) != self._read_only_below(self.nested_path[name]):
                raise SchemaError(f"{self.type_name}: {name} is read-only on one path only")
            return
        if name in RESERVED_TYPE_NAMES:
            raise SchemaError(f"{self.type_name}: definition name {name} is reserved")
        self.nested_origin[name] = s
        self.nested_path[name] = path
        branches = self._branch_objects(s)
        deny_unknown = s.get("additionalProperties") is False or (
            branches is not None and all(b.get("additionalProperties") is False for b in branches[1])
        )
        st = Struct(
            name,
            doc_lines(
                doc_text(s.get("description")) or f"`{name}` (the schema does not describe it).",
                self.alternatives_doc(s),
            ),
            deny_unknown,
        )
        self.nested[name] = st
        st.fields = self.fields_of(s, name, path, True)

    def _read_only_below(self, path):
        n = len(path)
        return {ro[n:] for ro in self.read_only if list(ro[:n]) == list(path)}

    def build(self):
        top = self.schema
        st = Struct(
            self.struct_name,
            doc_lines(
                f"`{self.type_name}`: " + (doc_text(top.get("description")) or ""),
                self.alternatives_doc(top),
            ),
            deny_unknown=top.get("additionalProperties") is False,
        )
        st.fields = self.fields_of(top, None, [], False)
        self.top = st
        self.mark_boxes()
        for key in OVERRIDES:
            if key[0] == self.type_name and key not in self.used_overrides:
                raise SchemaError(f"override {key} matched no property")

    def mark_boxes(self):
        """Box a field whose struct type contains (directly) the struct holding it."""
        structs = dict(self.nested)
        edges = {n: {f.struct_ref for f in s.fields if f.struct_ref} for n, s in structs.items()}

        def reaches(a, b):
            stack, seen = [a], set()
            while stack:
                n = stack.pop()
                if n == b:
                    return True
                if n in seen:
                    continue
                seen.add(n)
                stack.extend(edges.get(n, ()))
            return False

        for n, s in structs.items():
            for f in s.fields:
                if f.struct_ref and reaches(f.struct_ref, n):
                    f.boxed = True


# ---------------------------------------------------------------- rendering


def render_struct(st, type_name=None, attributes=None):
    lines = list(st.doc)
    lines.append("#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]")
    if st.deny_unknown:
        lines.append("#[serde(deny_unknown_fields)]")
    if not st.fields:
        lines.append(f"pub struct {st.name} {{}}")
    else:
        lines.append(f"pub struct {st.name} {{")
        for f in st.fields:
            ty = f"Box<{f.ty}>" if f.boxed else f.ty
            lines.extend("    " + d for d in f.doc)
            if f.required:
                lines.append(f'    #[serde(rename = "{f.prop}")]')
                lines.append(f"    pub {field_ident(f.prop)}: {ty},")
            else:
                lines.append(f'    #[serde(rename = "{f.prop}", skip_serializing_if = "Option::is_none")]')
                lines.append(f"    pub {field_ident(f.prop)}: Option<{ty}>,")
        lines.append("}")
    if type_name:
        lines.append("")
        lines.append(f"impl {st.name} {{")
        lines.append("    /// The CloudFormation resource type.")
        lines.append(f'    pub const TYPE_NAME: &\'static str = "{type_name}";')
        lines.append("    /// Read-only properties: not settable, `Fn::GetAtt` reads them.")
        attrs = ", ".join(f'"{a}"' for a in attributes)
        lines.append(f"    pub const ATTRIBUTES: &'static [&'static str] = &[{attrs}];")
        lines.append("}")
    return "\n".join(lines)


def uses_btreemap(structs):
    return any("BTreeMap<" in f.ty for s in structs for f in s.fields)


def header(version, doc):
    return "\n".join(
        [
            f"// @generated by {SCRIPT} from the resource provider schemas of cfn-lint {version}.",
            f"// Do not edit: change the script and run it again ({SCRIPT} --check verifies).",
            "",
            *[f"//! {line}" if line else "//!" for line in doc],
            "",
        ]
    )


def render_service(service, gens, version):
    types = ", ".join(f"`{g.type_name}`" for g in gens)
    out = [
        header(
            version,
            [
                f"{SERVICE_TITLES[service]} resource properties.",
                "",
                f"Types: {types}. Nested property types live in a submodule named",
                "after the resource.",
            ],
        )
    ]
    imports = ["use serde::{Deserialize, Serialize};"]
    if uses_btreemap([g.top for g in gens]):
        imports.insert(0, "use std::collections::BTreeMap;")
    out.append("\n".join(imports))
    for g in gens:
        out.append(render_struct(g.top, g.type_name, g.attributes()))
    for g in gens:
        if not g.nested:
            continue
        nested = [g.nested[n] for n in sorted(g.nested)]
        # rustdoc resolves a module's outer doc links in the parent's scope.
        body = [f"/// Property types nested in [`{g.struct_name}`].", f"pub mod {g.module} {{"]
        if uses_btreemap(nested):
            body.append("    use std::collections::BTreeMap;")
            body.append("")
        body.append("    use serde::{Deserialize, Serialize};")
        for st in nested:
            body.append("")
            body.extend("    " + line if line else "" for line in render_struct(st).split("\n"))
        body.append("}")
        out.append("\n".join(body))
    return "\n\n".join(out) + "\n"


def variant_name(service, struct_name):
    return {"stepfunctions": "StepFunctions"}.get(service, service.capitalize()) + struct_name


def render_mod(gens, version):
    services = sorted({g.service for g in gens})
    by_variant = sorted(gens, key=lambda g: g.type_name)
    lines = [
        header(
            version,
            [
                "Typed properties of the CloudFormation resource types vigil emits.",
                "",
                "One module per AWS service; [`ResourceProperties`] holds any of them and",
                "knows its resource type name, which is how a template's `Type` is written",
                "and read.",
            ],
        )
    ]
    lines.append("\n".join(f"pub mod {s};" for s in services))
    lines.append("use serde::{Serialize, Serializer};")
    enum = [
        "/// The `Properties` of one resource, tagged by its resource type.",
        "///",
        "/// Variants are boxed: the property structs differ a lot in size.",
        "#[derive(Debug, Clone, PartialEq)]",
        "pub enum ResourceProperties {",
    ]
    for g in by_variant:
        enum.append(f"    /// `{g.type_name}`")
        enum.append(f"    {variant_name(g.service, g.struct_name)}(Box<{g.service}::{g.struct_name}>),")
    enum.append("}")
    lines.append("\n".join(enum))

    names = ", ".join(f"{g.service}::{g.struct_name}::TYPE_NAME" for g in by_variant)
    imp = [
        "impl ResourceProperties {",
        "    /// Every resource type this crate has types for, sorted.",
        f"    pub const TYPE_NAMES: &'static [&'static str] = &[{names}];",
        "",
        "    /// The CloudFormation resource type, e.g. `AWS::Lambda::Function`.",
        "    pub fn type_name(&self) -> &'static str {",
        "        match self {",
    ]
    for g in by_variant:
        imp.append(f"            Self::{variant_name(g.service, g.struct_name)}(_) => {g.service}::{g.struct_name}::TYPE_NAME,")
    imp += [
        "        }",
        "    }",
        "",
        "    /// Read-only properties of this resource type, which `Fn::GetAtt` can read.",
        "    pub fn attributes(&self) -> &'static [&'static str] {",
        "        match self {",
    ]
    for g in by_variant:
        imp.append(f"            Self::{variant_name(g.service, g.struct_name)}(_) => {g.service}::{g.struct_name}::ATTRIBUTES,")
    imp += [
        "        }",
        "    }",
        "",
        "    /// Reads the `Properties` of a resource whose `Type` is `type_name`.",
        "    pub fn from_json(",
        "        type_name: &str,",
        "        properties: serde_json::Value,",
        "    ) -> Result<Self, PropertiesError> {",
        "        match type_name {",
    ]
    for g in by_variant:
        path = f"{g.service}::{g.struct_name}"
        imp.append(f"            {path}::TYPE_NAME => parse::<{path}>(properties, {path}::TYPE_NAME).map(Self::from),")
    imp += [
        "            other => Err(PropertiesError::UnknownType(other.to_owned())),",
        "        }",
        "    }",
        "}",
    ]
    lines.append("\n".join(imp))

    lines.append(
        "\n".join(
            [
                "fn parse<T: serde::de::DeserializeOwned>(",
                "    properties: serde_json::Value,",
                "    type_name: &'static str,",
                ") -> Result<T, PropertiesError> {",
                "    serde_json::from_value(properties)",
                "        .map_err(|error| PropertiesError::Invalid { type_name, error })",
                "}",
            ]
        )
    )

    ser = [
        "/// Writes just the properties object; the resource's `Type` is written next to it.",
        "impl Serialize for ResourceProperties {",
        "    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {",
        "        match self {",
    ]
    for g in by_variant:
        ser.append(f"            Self::{variant_name(g.service, g.struct_name)}(p) => p.serialize(serializer),")
    ser += ["        }", "    }", "}"]
    lines.append("\n".join(ser))

    for g in by_variant:
        path = f"{g.service}::{g.struct_name}"
        lines.append(
            "\n".join(
                [
                    f"impl From<{path}> for ResourceProperties {{",
                    f"    fn from(properties: {path}) -> Self {{",
                    f"        Self::{variant_name(g.service, g.struct_name)}(Box::new(properties))",
                    "    }",
                    "}",
                ]
            )
        )

    lines.append(
        "\n".join(
            [
                "/// Why a resource's `Properties` could not be read.",
                "#[derive(Debug, thiserror::Error)]",
                "pub enum PropertiesError {",
                "    /// The `Type` is not one of [`ResourceProperties::TYPE_NAMES`].",
                '    #[error("unknown resource type `{0}` (vigil-cfn knows {known})", known = ResourceProperties::TYPE_NAMES.join(", "))]',
                "    UnknownType(String),",
                "    /// The properties do not match the type's schema.",
                '    #[error("invalid properties for `{type_name}`: {error}")]',
                "    Invalid {",
                "        /// The resource type.",
                "        type_name: &'static str,",
                "        /// What serde found wrong (in the message, so not a `source`).",
                "        error: serde_json::Error,",
                "    },",
                "}",
            ]
        )
    )
    return "\n\n".join(lines) + "\n"


# ---------------------------------------------------------------- driver


def cfnlint_data():
    try:
        import cfnlint
        from cfnlint.version import __version__
    except ImportError:
        sys.exit(
            f"{SCRIPT}: needs the cfn-lint package (pinned in scripts/install-tools); "
            "run it with the vigil venv's python, e.g. ~/.cache/vigil/venv/bin/python"
        )
    return os.path.join(os.path.dirname(cfnlint.__file__), "data", "schemas"), __version__


def load_schemas(schemas_dir):
    with open(os.path.join(schemas_dir, "providers", "us-east-1.json")) as f:
        index = json.load(f)
    out = {}
    for type_name in TYPES:
        if type_name not in index:
            raise SchemaError(f"{type_name} is not in providers/us-east-1.json")
        path = os.path.join(schemas_dir, "resources", index[type_name] + ".json")
        with open(path) as f:
            schema = json.load(f)
        if schema.get("typeName") != type_name:
            raise SchemaError(f"{path} describes {schema.get('typeName')}, not {type_name}")
        out[type_name] = schema
    return out


def rustfmt(source):
    proc = subprocess.run(
        ["rustfmt", "--edition", "2024", "--emit", "stdout", "--quiet"],
        input=source,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    if proc.returncode != 0:
        sys.exit(f"{SCRIPT}: rustfmt failed:\n{proc.stderr}\n--- source ---\n{source}")
    return proc.stdout


def generate():
    schemas_dir, version = cfnlint_data()
    schemas = load_schemas(schemas_dir)
    gens = []
    for type_name, (service, struct_name) in TYPES.items():
        g = ResourceGen(type_name, service, struct_name, schemas[type_name])
        g.build()
        gens.append(g)
    files = {}
    for service in sorted({g.service for g in gens}):
        members = sorted((g for g in gens if g.service == service), key=lambda g: g.struct_name)
        files[f"{service}.rs"] = rustfmt(render_service(service, members, version))
    files["mod.rs"] = rustfmt(render_mod(gens, version))
    return files, gens


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the committed files are stale")
    ap.add_argument("--list-untyped", action="store_true", help="list properties typed as serde_json::Value")
    args = ap.parse_args()
    try:
        files, gens = generate()
    except SchemaError as e:
        sys.exit(f"{SCRIPT}: {e}")
    if args.list_untyped:
        for g in gens:
            for u in g.untyped:
                print(f"{g.type_name}: {u}")
        for (type_name, owner, prop), ty in OVERRIDES.items():
            if ty == JSON_VALUE:
                print(f"{type_name}: {owner or TYPES[type_name][1]}.{prop} (override)")
        return 0
    existing = sorted(f for f in os.listdir(OUT_DIR) if f.endswith(".rs")) if os.path.isdir(OUT_DIR) else []
    if args.check:
        stale = []
        for name, text in sorted(files.items()):
            path = os.path.join(OUT_DIR, name)
            try:
                with open(path) as f:
                    if f.read() != text:
                        stale.append(f"{name} differs")
            except FileNotFoundError:
                stale.append(f"{name} is missing")
        stale += [f"{name} is not generated" for name in existing if name not in files]
        if stale:
            print(
                f"{SCRIPT} --check: cfn/src/resources is out of date ({'; '.join(stale)}); "
                f"run {SCRIPT} and commit the result",
                file=sys.stderr,
            )
            return 1
        return 0
    os.makedirs(OUT_DIR, exist_ok=True)
    for name in existing:
        if name not in files:
            os.remove(os.path.join(OUT_DIR, name))
    for name, text in files.items():
        with open(os.path.join(OUT_DIR, name), "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
