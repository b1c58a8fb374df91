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
