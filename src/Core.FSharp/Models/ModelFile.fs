/// Models declared as Keras-Sequential lists of layers, in a YAML file, inline in a sweep file, or
/// (inside trial configurations) as the canonical JSON text this module writes. The host turns
/// YAML into a Node tree; everything else (the keys, their checks, the errors) is here.
module Lrbs.Core.Models.ModelFile

open System
open System.Text.Json
open System.Text.Json.Nodes

/// Where a value sits in its file: 1-based line and column (0, 0 where unknown: JSON).
type Pos =
    {
        Line: int
        Column: int
    }

    static member None = { Line = 0; Column = 0 }

/// A parsed YAML or JSON value, with its position.
type Node =
    | Scalar of text: string * at: Pos
    | Items of items: Node list * at: Pos
    | Fields of fields: (string * Pos * Node) list * at: Pos
    | Empty of at: Pos

    member n.At =
        match n with
        | Scalar(_, p)
        | Items(_, p)
        | Fields(_, p)
        | Empty p -> p

/// A declared model: its name and its layers (the input shape comes from the dataset).
[<CustomEquality; NoComparison>]
type Definition =
    {
        Name: string
        Layers: Layer list
    }

    override d.Equals(o) =
        match o with
        | :? Definition as e -> e.Name = d.Name && e.Layers = d.Layers
        | _ -> false

    override d.GetHashCode() = hash d.Name

/// "FILE:LINE:COLUMN" (or FILE alone where the position is unknown).
let private place (file: string) (p: Pos) = if p.Line > 0 then $"{file}:{p.Line}:{p.Column}" else file

let private scalarValue (text: string) =
    match Keys.number (Value.Text text) with
    | Some x -> Value.Number x
    | None -> Value.Text text

let private collect (results: Result<'a, string> list) =
    match
        results
        |> List.choose (function
            | Error e -> Some e
            | Ok _ -> None)
    with
    | [] ->
        Ok(
            results
            |> List.map (function
                | Ok x -> x
                | Error _ -> failwith "unreachable")
        )
    | errors -> Error(String.concat "\n" errors)

/// One layer entry, the `number`-th of `count` (from 1): `- kind: {key: value, ...}`,
/// `- kind: SCALAR` (its shorthand key), or `- kind: {}` / `- kind`. An error names the file,
/// the line and column of the key or value at fault, and the layer by its number.
let private layer (file: string) (count: int) (number: int) (node: Node) : Result<Layer, string> =
    let at (p: Pos) kind = $"{place file p}: layer {number} of {count}{kind}"

    let kindAndSettings =
        match node with
        | Scalar(kind, p) -> Ok(kind, p, Empty p)
        | Fields([ kind, p, settings ], _) -> Ok(kind, p, settings)
        | Fields(fields, p) ->
            Error
                $"""{at p ""}: one layer is a mapping with one key, its kind; got {fields.Length} keys ({fields |> List.map (fun (k, _, _) -> k) |> String.concat ", "})"""
        | other ->
            let where = at other.At ""
            Error $"{where}: expected `- KIND: {{key: value}}`"

    kindAndSettings
    |> Result.bind (fun (kind, kindAt, settings) ->
        match LayerRegistry.tryFind kind with
        | None ->
            Error
                $"""{at kindAt ""}: unknown layer '{kind}'{LayerRegistry.suggest kind LayerRegistry.names}; allowed: {String.concat ", " LayerRegistry.names}"""
        | Some def ->
            let keyAt key =
                match settings with
                | Fields(fs, _) -> fs |> List.tryPick (fun (k, p, _) -> if k = key then Some p else None)
                | _ -> None

            let fail (p: Pos) (e: string) =
                let where = at p $" ({kind})"
                $"{where}: {e}"

            let given =
                match settings, def.Shorthand with
                | Empty _, _ -> Ok []
                | Fields(fs, _), _ ->
                    fs
                    |> List.map (fun (k, p, v) ->
                        match v with
                        | Scalar(s, _) -> Ok(k, scalarValue s)
                        | _ -> Error(fail p $"key '{k}': expected a single value"))
                    |> collect
                | Scalar(s, _), Some key -> Ok [ key, scalarValue s ]
                | Scalar(s, p), None -> Error(fail p $"takes no single value (got '{s}'): give its keys as a mapping")
                | Items(_, p), _ -> Error(fail p "expected a mapping of keys")

            given
            |> Result.bind (fun g ->
                LayerRegistry.create def g
                |> Result.mapError (fun e ->
                    let p = LayerRegistry.keyOf e |> Option.bind keyAt |> Option.defaultValue kindAt
                    fail p e)))

/// A definition from a tree: a mapping with `name` and `layers` (a list of layers). `file` names
/// the file (or the sweep file and its `model:` key) for errors; every problem is reported, each
/// at its line and column, layers numbered from 1.
let parse (file: string) (node: Node) : Result<Definition, string> =
    match node with
    | Fields(fields, at) ->
        let find key = fields |> List.tryFind (fun (k, _, _) -> k = key)

        let unknown =
            fields
            |> List.filter (fun (k, _, _) -> k <> "name" && k <> "layers")
            |> List.map (fun (k, p, _) -> Error $"""{place file p}: unknown key '{k}'{LayerRegistry.suggest k [ "name"; "layers" ]}; allowed: name, layers""")

        let name =
            match find "name" with
            | Some(_, _, Scalar(n, _)) when n.Trim() <> "" -> Ok n
            | Some(_, p, _) -> Error $"{place file p}: key 'name': expected a name"
            | None -> Error $"{place file at}: missing key 'name'"

        let layers =
            match find "layers" with
            | None -> Error $"{place file at}: missing key 'layers' (a list of layers)"
            | Some(_, p, Items([], _)) -> Error $"{place file p}: 'layers' is empty; give at least the output layer"
            | Some(_, _, Items(items, _)) -> items |> List.mapi (fun i n -> layer file items.Length (i + 1) n) |> collect
            | Some(_, p, _) -> Error $"{place file p}: key 'layers': expected a list of layers"

        let problems =
            (unknown
             |> List.choose (function
                 | Error e -> Some e
                 | _ -> None))
            @ (match name with
               | Error e -> [ e ]
               | _ -> [])
            @ (match layers with
               | Error e -> [ e ]
               | _ -> [])

        match problems, name, layers with
        | [], Ok n, Ok ls -> Ok { Name = n; Layers = ls }
        | ps, _, _ -> Error(String.concat "\n" ps)
    | other -> Error $"{place file other.At}: a model is a mapping with keys name and layers"

/// The canonical JSON of a definition (every key, defaults resolved, keys sorted): the text a
/// trial configuration carries for a declared model.
let toJson (d: Definition) =
    let layers = JsonArray()

    for l in d.Layers do
        let settings = JsonObject()

        for KeyValue(k, v) in l.Args do
            match v with
            | Value.Number x -> settings[k] <- JsonValue.Create x
            | Value.Text t -> settings[k] <- JsonValue.Create t

        let entry = JsonObject()
        entry[l.Def.Name] <- settings
        layers.Add entry

    let root = JsonObject()
    root["name"] <- JsonValue.Create d.Name
    root["layers"] <- layers
    root.ToJsonString()

let rec private ofElement (e: JsonElement) =
    match e.ValueKind with
    | JsonValueKind.Object -> Fields([ for p in e.EnumerateObject() -> p.Name, Pos.None, ofElement p.Value ], Pos.None)
    | JsonValueKind.Array -> Items([ for x in e.EnumerateArray() -> ofElement x ], Pos.None)
    | JsonValueKind.Null -> Empty Pos.None
    | JsonValueKind.Number -> Scalar(e.GetRawText(), Pos.None)
    | _ -> Scalar(e.ToString(), Pos.None)

/// A definition from the JSON text of toJson (or any JSON of the same shape).
let ofJson (text: string) : Result<Definition, string> =
    try
        use doc = JsonDocument.Parse text
        parse "model" (ofElement doc.RootElement)
    with :? JsonException as e ->
        Error $"model: not a JSON model definition ({e.Message})"

/// Whether a `model` value is a declared definition (JSON) rather than a catalog name.
let isDefinition (text: string) = text.TrimStart().StartsWith "{"
