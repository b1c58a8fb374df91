/// The learning-rate search as the sweep file reads it (Planning/LrBracket.fs), C#-shaped.
namespace Lrbs.Core.Surface

open Lrbs.Core.Planning

[<AbstractClass; Sealed>]
type Searches =
    /// Checks a bracket (LrBracket.check); throws ConfigException on the key at fault
    /// (lr.bracket, lr.points, lr.refine_to, lr.max_extend, lr.max_refine).
    static member Check(spec: LrBracket.Spec) : unit =
        match LrBracket.check spec with
        | Ok _ -> ()
        | Error(key, message) -> raise (ConfigException(key, message))

    /// The first round's lowest learning rate (LrBracket.initial): the one a group's keys are
    /// checked with before anything runs.
    static member FirstLr(spec: LrBracket.Spec) : float = List.head (LrBracket.initial spec)

    /// A group's plan as its points, cells and best cell (LrBracket.Plan), C#-shaped.
    static member Points(plan: LrBracket.Plan) : LrBracket.Point[] = List.toArray plan.Points

    /// The committed cells of a group's plan.
    static member Cells(plan: LrBracket.Plan) : LrBracket.Cell[] = List.toArray plan.Cells

    /// The best cell of a finished plan; null while it runs.
    static member Best(plan: LrBracket.Plan) : LrBracket.Cell = Option.toObj plan.Best

    /// The allowed word nearest a mistyped one (Suggest.nearest); null when none is near.
    static member Nearest(word: string, allowed: string seq) : string = Lrbs.Core.Suggest.nearest word allowed |> Option.toObj

    /// How many learning rates the first round runs (LrBracket.initial).
    static member FirstRoundPoints(spec: LrBracket.Spec) : int = List.length (LrBracket.initial spec)
