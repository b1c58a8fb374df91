namespace Lrbs.Core.Optimizers

/// One hyper-parameter of an optimizer: its name (a trial key), its default, its meaning and
/// its check (flags are 0 or 1).
type HyperKey = { Name: string; Default: float; Doc: string; Check: float -> Result<unit, string> }

/// How TensorFlow.js builds an optimizer (reference/CASES.md): a tf.train function and its
/// arguments, "lr" standing for the first learning rate.
type TfjsOptimizer = { Fn: string; Args: obj list }

/// A kind of optimizer: everything lrbs knows about it, in one place (the update rule is one
/// file under src/Native/net/ registered under the same name, checked when the engine loads).
[<CustomEquality; NoComparison>]
type OptimizerKind =
    {
        /// The name in trial keys, the native registry and parity cases.
        Name: string
        /// The rule, with its source.
        Doc: string
        Keys: HyperKey list
        /// Keras's default learning rate (the parity cases start from it).
        DefaultLr: float
        /// State tensors shaped like each parameter (what a packed member holds besides its
        /// weights and gradients); the engine's own count is checked against it at load.
        StateSlots: Map<string, float> -> int
        /// Checks across keys (nesterov needs momentum).
        Check: Map<string, float> -> Result<unit, string>
        /// How TensorFlow.js builds it, or why it cannot.
        Tfjs: Map<string, float> -> Result<TfjsOptimizer, string>
    }

    override k.Equals(o) =
        match o with
        | :? OptimizerKind as m -> m.Name = k.Name
        | _ -> false

    override k.GetHashCode() = k.Name.GetHashCode()

/// An optimizer: its kind and every hyper-parameter resolved (the learning rate is given per step).
[<CustomEquality; NoComparison>]
type OptimizerSpec =
    {
        Kind: OptimizerKind
        Settings: Map<string, float>
    }

    member s.Get(key: string) =
        match s.Settings.TryFind key with
        | Some v -> v
        | None -> invalidArg key $"optimizer {s.Kind.Name} has no key '{key}'"

    member s.Flag(key: string) = s.Get key = 1.0

    override s.Equals(o) =
        match o with
        | :? OptimizerSpec as m -> m.Kind.Name = s.Kind.Name && m.Settings = s.Settings
        | _ -> false

    override s.GetHashCode() = hash (s.Kind.Name, s.Settings)

    override s.ToString() =
        let keys = s.Settings |> Map.toList |> List.map (fun (k, v) -> $"{k}={v}") |> String.concat ", "
        $"{s.Kind.Name}({keys})"

module HyperKey =
    let key name ``default`` doc check = { Name = name; Default = ``default``; Doc = doc; Check = check }

    let range (low: float) (high: float) (v: float) = if v >= low && v < high then Ok() else Error $"expected a number in [{low}, {high}), got {v}"

    let atLeast (low: float) (v: float) = if v >= low then Ok() else Error $"expected a number >= {low}, got {v}"

    let positive (v: float) = if v > 0.0 then Ok() else Error $"expected a number > 0, got {v}"

    let flag (v: float) = if v = 0.0 || v = 1.0 then Ok() else Error $"expected true or false, got {v}"
