/// Models declared as Keras-Sequential lists of layers, in a YAML file, inline in a sweep file, or
/// (inside trial configurations) as the canonical JSON text this module writes. The host turns
/// YAML into a Node tree; everything else (the keys, their checks, the errors) is here.
module Lrbs.Core.Models.ModelFile

open System
open System.Text.Json
open System.Text.Json.Nodes

/// A parsed YAML or JSON value.
type Node =
    | Scalar of string
    | Items of Node list
    | Fields of (string * Node) list
    | Empty

/// A declared model: its name and its layers (the input shape comes from the dataset).
[<CustomEquality; NoComparison>]
type Definition =
    { Name: string
      Layers: Layer list }

    override d.Equals(o) =
        match o with
        | :? Definition as e -> e.Name = d.Name && e.Layers = d.Layers
        | _ -> false

    override d.GetHashCode() = hash d.Name

let private scalarValue (text: string) =
    match Keys.number (Value.Text text) with
    | Some x -> Value.Number x
    | None -> Value.Text text

/// One layer entry: `- kind: {key: value, ...}`, `- kind: SCALAR` (its shorthand key), or
/// `- kind: {}` / `- kind`.
let private layer (where: string) (index: int) (node: Node) : Result<Layer, string> =
    let at = $"{where}: layer {index}"
    let kindAndSettings =
        match node with
        | Scalar kind -> Ok(kind, Empty)
        | Fields [ kind, settings ] -> Ok(kind, settings)
        | Fields fields -> Error $"""{at}: one layer is a mapping with one key, its kind; got {fields.Length} keys ({fields |> List.map fst |> String.concat ", "})"""
        | _ -> Error $"{at}: expected `- KIND: {{key: value}}`"
    kindAndSettings
    |> Result.bind (fun (kind, settings) ->
        match LayerRegistry.tryFind kind with
        | None ->
            Error $"""{at}: unknown layer '{kind}'{LayerRegistry.suggest kind LayerRegistry.names}; allowed: {String.concat ", " LayerRegistry.names}"""
        | Some def ->
            let given =
                match settings, def.Shorthand with
                | Empty, _ -> Ok []
                | Fields fs, _ ->
                    fs
                    |> List.map (fun (k, v) ->
                        match v with
                        | Scalar s -> Ok(k, scalarValue s)
                        | _ -> Error $"key '{k}': expected a single value")
                    |> List.fold (fun acc r -> Result.bind (fun xs -> Result.map (fun x -> xs @ [ x ]) r) acc) (Ok [])
                | Scalar s, Some key -> Ok [ key, scalarValue s ]
                | Scalar s, None -> Error $"takes no single value (got '{s}'): give its keys as a mapping"
                | Items _, _ -> Error "expected a mapping of keys"
            given |> Result.bind (LayerRegistry.create def) |> Result.mapError (fun e -> $"{at} ({kind}): {e}"))

/// A definition from a tree: a mapping with `name` and `layers` (a list of layers). `where` names
/// the file (and line, where known) for errors.
let parse (where: string) (node: Node) : Result<Definition, string> =
    match node with
    | Fields fields ->
        let unknown = fields |> List.map fst |> List.filter (fun k -> k <> "name" && k <> "layers")
        match unknown, List.tryFind (fst >> (=) "layers") fields with
        | k :: _, _ ->
            let hint = LayerRegistry.suggest k [ "name"; "layers" ]
            Error $"{where}: unknown key '{k}'{hint}; allowed: name, layers"
        | [], None -> Error $"{where}: missing key 'layers' (a list of layers)"
        | [], Some(_, Items []) -> Error $"{where}: 'layers' is empty; give at least the output layer"
        | [], Some(_, Items items) ->
            let name =
                match List.tryFind (fst >> (=) "name") fields with
                | Some(_, Scalar n) when n.Trim() <> "" -> Ok n
                | Some _ -> Error $"{where}: key 'name': expected a name"
                | None -> Error $"{where}: missing key 'name'"
            name
            |> Result.bind (fun name ->
                items
                |> List.mapi (layer where)
                |> List.fold (fun acc r -> Result.bind (fun xs -> Result.map (fun x -> xs @ [ x ]) r) acc) (Ok [])
                |> Result.map (fun layers -> { Name = name; Layers = layers }))
        | [], Some _ -> Error $"{where}: key 'layers': expected a list of layers"
    | _ -> Error $"{where}: a model is a mapping with keys name and layers"

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
    | JsonValueKind.Object -> Fields [ for p in e.EnumerateObject() -> p.Name, ofElement p.Value ]
    | JsonValueKind.Array -> Items [ for x in e.EnumerateArray() -> ofElement x ]
    | JsonValueKind.Null -> Empty
    | JsonValueKind.Number -> Scalar(e.GetRawText())
    | _ -> Scalar(e.ToString())

/// A definition from the JSON text of toJson (or any JSON of the same shape).
let ofJson (text: string) : Result<Definition, string> =
    try
        use doc = JsonDocument.Parse text
        parse "model" (ofElement doc.RootElement)
    with :? JsonException as e -> Error $"model: not a JSON model definition ({e.Message})"

/// Whether a `model` value is a declared definition (JSON) rather than a catalog name.
let isDefinition (text: string) = text.TrimStart().StartsWith "{"
