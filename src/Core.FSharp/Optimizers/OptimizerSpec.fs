/// Optimizers by name: the kinds of Kinds.fs, presets over them, and hyper-parameters given as
/// trial keys (`optimizer: {name: lamb, weight_decay: 0.01}`, `--optimizer lamb --weight-decay 0.01`).
[<CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Lrbs.Core.Optimizers.OptimizerSpec

open System
open System.Globalization

/// Named forms of a kind with some keys set (the studies' momentum variants use mu = 0.9).
let presets: (string * OptimizerKind * (string * float) list) list =
    [
        "sgd-momentum", Kinds.sgd, [ "momentum", 0.9 ]
        "sgd-nesterov", Kinds.sgd, [ "momentum", 0.9; "nesterov", 1.0 ]
        "sgd-momentum-torch", Kinds.sgd, [ "momentum", 0.9; "pytorch_form", 1.0 ]
        "adam-bias-corrected", Kinds.adam, [ "bias_corrected", 1.0 ]
    ]

/// The names accepted on the command line and in sweep files: the kinds, then the presets.
let names = (Kinds.all |> List.map (fun k -> k.Name)) @ (presets |> List.map (fun (n, _, _) -> n))

/// Every hyper-parameter key of any kind (each is a trial key).
let hyperKeys = Kinds.all |> List.collect (fun k -> k.Keys |> List.map (fun h -> h.Name)) |> List.distinct

/// The kind and preset settings of a name.
let private lookup (name: string) =
    match Kinds.all |> List.tryFind (fun k -> k.Name = name) with
    | Some k -> Ok(k, [])
    | None ->
        match presets |> List.tryFind (fun (n, _, _) -> n = name) with
        | Some(_, k, s) -> Ok(k, s)
        | None -> Error $"""unknown optimizer '{name}'{Lrbs.Core.Suggest.hint name names}; allowed: {String.concat ", " names}"""

/// The optimizer for a name with `given` hyper-parameters over its defaults. A key the kind
/// does not take is an error naming the key, the optimizer and the keys it takes.
let create (name: string) (given: (string * float) list) : Result<OptimizerSpec, string> =
    lookup name
    |> Result.bind (fun (kind, preset) ->
        let own = kind.Keys |> List.map (fun k -> k.Name)

        match given |> List.tryFind (fun (k, _) -> not (List.contains k own)) with
        | Some(k, _) -> Error $"""key '{k}' does not apply to optimizer {name}; its keys: {String.concat ", " own}"""
        | None ->
            let settings =
                kind.Keys
                |> List.map (fun k -> k.Name, k.Default)
                |> Map.ofList
                |> fun m -> List.fold (fun (m: Map<_, _>) (k, v) -> m.Add(k, v)) m (preset @ given)

            let bad =
                kind.Keys
                |> List.tryPick (fun k ->
                    match k.Check settings[k.Name] with
                    | Error e -> Some $"key '{k.Name}': {e}"
                    | Ok() -> None)

            match bad with
            | Some e -> Error e
            | None -> kind.Check settings |> Result.map (fun () -> { Kind = kind; Settings = settings }))

/// The optimizer for a name with its defaults.
let ofName (name: string) = create name []

/// The canonical text of a named optimizer with given keys: the name, then in brackets the keys
/// whose value differs from the name's own (`lamb(weight_decay=0.01)`), so that an optimizer at
/// its defaults keeps the text (and the trial ids) it had before hyper-parameters were keys.
let canonical (name: string) (given: (string * float) list) =
    match ofName name, create name given with
    | Ok plain, Ok spec ->
        let changed =
            spec.Settings
            |> Map.toList
            |> List.filter (fun (k, v) -> plain.Settings[k] <> v)
            |> List.map (fun (k, v) -> $"""{k}={v.ToString("R", CultureInfo.InvariantCulture)}""")

        if changed.IsEmpty then name else $"""{name}({String.concat "," changed})"""
    | _ -> name
