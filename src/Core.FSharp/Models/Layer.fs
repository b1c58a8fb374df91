namespace Lrbs.Core.Models

open System
open Lrbs.Core.Models.Layers

/// One layer of a model: its kind and its resolved settings (every key, defaults filled in;
/// with an activation, `activation` and, where the activation takes one, `alpha`).
[<CustomEquality; NoComparison>]
type Layer =
    {
        Def: LayerDef
        Args: Args
    }

    override l.Equals(o) =
        match o with
        | :? Layer as m -> m.Def.Name = l.Def.Name && m.Args = l.Args
        | _ -> false

    override l.GetHashCode() = hash (l.Def.Name, l.Args)

    /// The layer's activation name ("linear" for layers without one).
    member l.Activation =
        match l.Args.TryFind "activation" with
        | Some(Value.Text a) -> a
        | _ -> "linear"

    /// kind(key=value, ...), keys sorted: the text the trial id hashes and `model show` prints.
    member l.Canonical =
        let args = l.Args |> Map.toList |> List.map (fun (k, v) -> $"{k}={v.Canonical}") |> String.concat ", "
        $"{l.Def.Name}({args})"

    override l.ToString() = l.Canonical

/// The registry of layer kinds (each defined in Models/Layers/), and layers built from named settings.
module LayerRegistry =
    /// Every layer kind, by name; the engine checks at load that its native registry has the same names.
    let all: LayerDef list =
        [
            Dense.def
            Conv2D.def
            Pooling.max
            Pooling.average
            Pooling.globalAverage
            Reshaping.flatten
            Dropout.def
            BatchNorm.def
        ]

    let names = all |> List.map (fun d -> d.Name)

    let tryFind name = all |> List.tryFind (fun d -> d.Name = name)

    /// " (did you mean 'x'?)" for a misspelt name (Suggest.hint).
    let suggest (key: string) (allowed: string seq) = Lrbs.Core.Suggest.hint key allowed

    let private activationKeys (given: Map<string, Value>) : Result<(string * Value) list, string> =
        let name =
            match given.TryFind "activation" with
            | Some v -> v.Canonical
            | None -> "linear"

        match Activations.tryFind name with
        | None -> Error $"""key 'activation': unknown activation '{name}'{suggest name Activations.names}; allowed: {String.concat ", " Activations.names}"""
        | Some a ->
            match a.Alpha, given.TryFind "alpha" with
            | None, Some _ -> Error $"key 'alpha': applies to leaky_relu and elu, not to activation '{name}'"
            | None, None -> Ok [ "activation", Value.Text name ]
            | Some d, None -> Ok [ "activation", Value.Text name; "alpha", Value.Number d ]
            | Some _, Some v ->
                match Keys.number v with
                | Some x -> Ok [ "activation", Value.Text name; "alpha", Value.Number x ]
                | None -> Error $"key 'alpha': expected a number, got '{v.Canonical}'"

    /// A layer of kind `def` from its given settings: every key checked, defaults filled in.
    /// The error says what is allowed; `keyOf` finds the key it is about (for a file position).
    let create (def: LayerDef) (given: (string * Value) list) : Result<Layer, string> =
        let own = def.Keys |> List.map (fun k -> k.Name)
        let allowed = own @ (if def.HasActivation then [ "activation"; "alpha" ] else [])
        let givenMap = Map.ofList given
        let unknown = given |> List.map fst |> List.filter (fun k -> not (List.contains k allowed))
        let twice = given |> List.countBy fst |> List.filter (fun (_, n) -> n > 1)

        match unknown, twice with
        | k :: _, _ ->
            let list = if allowed.IsEmpty then "it takes no keys" else "allowed: " + String.concat ", " allowed
            Error $"unknown key '{k}'{suggest k allowed} for {def.Name}; {list}"
        | [], (k, _) :: _ -> Error $"key '{k}' given twice"
        | [], [] ->
            let resolved =
                def.Keys
                |> List.map (fun k ->
                    match givenMap.TryFind k.Name, k.Default with
                    | Some v, _ -> k.Check v |> Result.map (fun v -> k.Name, v) |> Result.mapError (fun e -> $"key '{k.Name}': {e}")
                    | None, Some d -> Ok(k.Name, d)
                    | None, None -> Error $"missing key '{k.Name}' ({k.Doc})")

            match Lrbs.Core.Results.all resolved with
            | Error e -> Error e
            | Ok pairs ->
                let act = if def.HasActivation then activationKeys givenMap else Ok []
                act |> Result.map (fun a -> { Def = def; Args = Map.ofList (pairs @ a) })

    /// The key a `create` error is about ("unknown key 'k'", "key 'k': ...", "missing key 'k'"), if any.
    let keyOf (error: string) =
        let m = System.Text.RegularExpressions.Regex.Match(error, "key '([^']+)'")
        if m.Success then Some m.Groups[1].Value else None

    let private make name (given: (string * Value) list) =
        match tryFind name |> Option.map (fun d -> create d given) with
        | Some(Ok l) -> l
        | Some(Error e) -> invalidArg name e
        | None -> invalidArg name $"unknown layer {name}"

    let private n (x: int) = Value.Number(float x)

    let dense (units: int) (activation: string) = make "dense" [ "units", n units; "activation", Value.Text activation ]

    let conv2d (filters: int) (kernel: int) (stride: int) (padding: Padding) (activation: string) =
        make
            "conv2d"
            [
                "filters", n filters
                "kernel", n kernel
                "stride", n stride
                "padding", Value.Text(if padding = Padding.Same then "same" else "valid")
                "activation", Value.Text activation
            ]

    let maxPool2d (pool: int) = make "max_pool2d" [ "pool", n pool ]
    let averagePool2d (pool: int) = make "average_pool2d" [ "pool", n pool ]
    let globalAveragePool2d () = make "global_average_pool2d" []
    let flatten () = make "flatten" []
    let dropout (rate: float) = make "dropout" [ "rate", Value.Number rate ]
    let batchNorm () = make "batch_norm" []

/// Keras's activation names, for code that builds layers (Layer.Dense(10, Activation.Softmax)).
[<RequireQualifiedAccess>]
module Activation =
    [<Literal>]
    let Linear = "linear"

    [<Literal>]
    let Relu = "relu"

    [<Literal>]
    let Sigmoid = "sigmoid"

    [<Literal>]
    let Softmax = "softmax"

    [<Literal>]
    let Tanh = "tanh"

type Layer with
    static member Dense(units: int, activation: string) = LayerRegistry.dense units activation

    static member Conv2D(filters: int, kernel: int, stride: int, padding: Padding, activation: string) =
        LayerRegistry.conv2d filters kernel stride padding activation

    static member MaxPool2D(pool: int) = LayerRegistry.maxPool2d pool
    static member AveragePool2D(pool: int) = LayerRegistry.averagePool2d pool
    static member GlobalAveragePool2D = LayerRegistry.globalAveragePool2d ()
    static member Flatten = LayerRegistry.flatten ()
    static member Dropout(rate: float) = LayerRegistry.dropout rate
    static member BatchNorm = LayerRegistry.batchNorm ()
