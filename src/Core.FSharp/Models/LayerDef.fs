namespace Lrbs.Core.Models

open System
open System.Globalization

/// A setting of a layer as a model file gives it: a number or a word.
[<RequireQualifiedAccess>]
type Value =
    | Number of float
    | Text of string

    /// The text of the trial id and of `model show`: numbers in round-trip form.
    member v.Canonical =
        match v with
        | Number x -> x.ToString("R", CultureInfo.InvariantCulture)
        | Text t -> t

/// What a weight array is for: it decides the array's initialisation (Keras's defaults) and
/// whether the optimizer updates it.
[<RequireQualifiedAccess>]
type Role =
    | Kernel
    | Bias
    | Gamma
    | Beta
    | MovingMean
    | MovingVariance

module Role =
    let name =
        function
        | Role.Kernel -> "kernel"
        | Role.Bias -> "bias"
        | Role.Gamma -> "gamma"
        | Role.Beta -> "beta"
        | Role.MovingMean -> "moving_mean"
        | Role.MovingVariance -> "moving_variance"

    /// Trainable arrays are updated by the optimizer; the moving statistics are state.
    let trainable =
        function
        | Role.MovingMean
        | Role.MovingVariance -> false
        | _ -> true

/// One weight array of a layer in Keras's layout (Dense kernel (in, out), Conv2D kernel
/// (kh, kw, in, out), vectors (out)).
type WeightDef = { Role: Role; Shape: int[] }

/// A layer's resolved settings: every key of its definition, defaults filled in.
type Args = Map<string, Value>

/// One key of a layer: its name, its default (None: required), its meaning and its check.
type KeyDef = { Name: string; Default: Value option; Doc: string; Check: Value -> Result<Value, string> }

/// How TensorFlow.js builds a layer, for the parity references (reference/CASES.md): a
/// tf.layers constructor and its config, and an activation layer after it where TF.js has no
/// activation string for it.
type TfjsLayer = { Layer: string; Config: (string * obj) list; Activation: (string * (string * obj) list) option }

/// A layer's arithmetic per example, the roofline's numerator and denominator: floating-point
/// operations of its forward pass and of its backward pass (the input's gradient and the weights'
/// together; a multiply-add counts 2, a comparison or an activation 1 per value), and the bytes of
/// activations it must move in both (float32: the forward pass reads its input and writes its
/// output, the backward pass reads the output's gradient and writes the input's, and what it
/// keeps for the backward pass is written once and read once: 8 (in + out) + 2 kept). The weights
/// are counted once per step by the model (StepCost), not per example here; temporaries such as
/// a convolution's unfolded input are not counted: they are the implementation's, not the
/// arithmetic's.
type Cost =
    {
        Forward: float
        Backward: float
        Bytes: float
    }

    static member Zero = { Forward = 0.0; Backward = 0.0; Bytes = 0.0 }

    static member (+)(a: Cost, b: Cost) = { Forward = a.Forward + b.Forward; Backward = a.Backward + b.Backward; Bytes = a.Bytes + b.Bytes }

/// A kind of layer: everything lrbs knows about it, in one place (its native twin is one file
/// under src/Native/net/ registered under the same name, checked when the engine loads).
[<CustomEquality; NoComparison>]
type LayerDef =
    {
        /// The name in model files, in the native registry and in parity cases (Keras's, in snake case).
        Name: string
        /// One line: what it computes.
        Doc: string
        Keys: KeyDef list
        /// The key a bare scalar sets (`max_pool2d: 2`).
        Shorthand: string option
        /// Dense and Conv2D take `activation` (and `alpha` where the activation uses it).
        HasActivation: bool
        /// Whether it draws random numbers while training (dropout): then its output for the same
        /// input changes from step to step, so it ends a network's constant prefix.
        Random: bool
        /// The output shape for an input shape, or why the layer does not fit.
        Output: Args -> Shape -> Result<Shape, string>
        /// Its weight arrays for an input shape, in Keras's get_weights() order.
        Weights: Args -> Shape -> WeightDef list
        /// The settings the native layer reads besides its input shape and activation.
        Native: Args -> Shape -> (string * float) list
        /// Bytes per example its forward pass keeps for the backward pass (input shape, output shape).
        Kept: Args -> Shape -> Shape -> int64
        /// Floats per example of the largest temporary while it runs (a convolution's unfolded input).
        Workspace: Args -> Shape -> Shape -> int64
        /// Its FLOPs and bytes per example (input shape, output shape): the formula is in each
        /// definition's doc comment.
        Cost: Args -> Shape -> Shape -> Cost
        /// How TensorFlow.js builds it, or why it cannot.
        Tfjs: Args -> Result<TfjsLayer, string>
        /// Settings for the parity matrix's probe of this layer (between a convolution and the
        /// head, src/Host.CSharp/Parity/ParityCases.cs); None: not probed, with the reason.
        Probe: Result<(string * Value) list, string>
    }

    override d.Equals(o) =
        match o with
        | :? LayerDef as e -> e.Name = d.Name
        | _ -> false

    override d.GetHashCode() = d.Name.GetHashCode()

/// The checks and helpers layer definitions share.
module Keys =
    let private inv = CultureInfo.InvariantCulture

    let number (v: Value) =
        match v with
        | Value.Number x -> Some x
        | Value.Text t ->
            match Double.TryParse(t, NumberStyles.Float, inv) with
            | true, x when Double.IsFinite x -> Some x
            | _ -> None

    /// An integer >= least.
    let integer (least: int) (v: Value) =
        match number v with
        | Some x when x = Math.Floor x && x >= float least && x <= float Int32.MaxValue -> Ok(Value.Number x)
        | _ -> Error $"expected an integer >= {least}, got '{v.Canonical}'"

    /// A number in [low, high).
    let range (low: float) (high: float) (v: Value) =
        match number v with
        | Some x when x >= low && x < high -> Ok(Value.Number x)
        | _ -> Error $"expected a number in [{low}, {high}), got '{v.Canonical}'"

    let positive (v: Value) =
        match number v with
        | Some x when x > 0.0 -> Ok(Value.Number x)
        | _ -> Error $"expected a number > 0, got '{v.Canonical}'"

    let oneOf (allowed: string list) (v: Value) =
        match v with
        | Value.Text t when List.contains t allowed -> Ok v
        | _ -> Error $"""expected one of {String.concat ", " allowed}, got '{v.Canonical}'"""

    let key name ``default`` doc check = { Name = name; Default = ``default``; Doc = doc; Check = check }

    /// The value of a resolved key as an int, a float or a word.
    let int (args: Args) name =
        match args[name] with
        | Value.Number x -> int x
        | v -> invalidArg name $"not a number: {v.Canonical}"

    let float (args: Args) name =
        match args[name] with
        | Value.Number x -> x
        | v -> invalidArg name $"not a number: {v.Canonical}"

    let text (args: Args) name =
        match args[name] with
        | Value.Text t -> t
        | v -> v.Canonical

    /// Layers without weights, a temporary or a TF.js twin of their own.
    let noWeights: Args -> Shape -> WeightDef list = fun _ _ -> []
    let noWorkspace: Args -> Shape -> Shape -> int64 = fun _ _ _ -> 0L
    let noNative: Args -> Shape -> (string * float) list = fun _ _ -> []

    /// Keeps the output (float32) for the backward pass.
    let keepsOutput: Args -> Shape -> Shape -> int64 = fun _ _ output -> 4L * int64 output.Size

    /// A cost of `forward` and `backward` FLOPs per example whose bytes follow from its shapes and
    /// what it keeps (Cost's rule: 8 (in + out) + 2 kept).
    let cost (forward: float) (backward: float) (kept: int64) (input: Shape) (output: Shape) : Cost =
        { Forward = forward; Backward = backward; Bytes = 8.0 * double (input.Size + output.Size) + 2.0 * double kept }
