/// Model files and model text as the host reads and prints them (Models/ModelFile.fs,
/// ModelSpec.summary), C#-shaped: the host hands over its YAML tree as nodes built here and
/// gets canonical JSON, or every problem at its line and column.
namespace Lrbs.Core.Surface

open System
open Lrbs.Core.Models

/// A model file's problems, each at its place in the file, one per line of `Problems`.
type ModelFileProblems(file: string, problems: string[]) =
    inherit
        Exception(
            if problems.Length = 1 then
                problems[0]
            else
                $"{problems.Length} problems in {file}:\n" + (problems |> Array.map (fun p -> "  " + p) |> String.concat "\n")
        )

    member _.File = file
    member _.Problems = problems

[<AbstractClass; Sealed>]
type ModelText =
    /// A YAML sequence node (ModelFile.Node.Items).
    static member Items(items: ModelFile.Node seq, at: ModelFile.Pos) = ModelFile.Node.Items(List.ofSeq items, at)

    /// One key of a YAML mapping: its name, where the key sits, and its value.
    static member Field(name: string, keyAt: ModelFile.Pos, value: ModelFile.Node) = struct (name, keyAt, value)

    /// A YAML mapping node (ModelFile.Node.Fields) from its keys in file order.
    static member Fields(fields: struct (string * ModelFile.Pos * ModelFile.Node) seq, at: ModelFile.Pos) =
        ModelFile.Node.Fields(fields |> Seq.map (fun (struct (k, p, v)) -> k, p, v) |> List.ofSeq, at)

    /// The canonical JSON of the model in `node` (ModelFile.parse, then toJson); throws
    /// ModelFileProblems with every problem at its line and column in `file`.
    static member Json(file: string, node: ModelFile.Node) : string =
        match ModelFile.parse file node with
        | Ok d -> ModelFile.toJson d
        | Error e -> raise (ModelFileProblems(file, e.Split '\n'))

    /// The canonical JSON of a model declared as `layers` (ModelFile.toJson).
    static member Json(name: string, layers: Layer seq) : string = ModelFile.toJson { Name = name; Layers = List.ofSeq layers }

    /// A catalog model for `input` with `head` (Catalog.build); throws ConfigException on `model`.
    static member Catalog(name: string, input: Shape, head: Catalog.Head) : ModelSpec =
        match Catalog.build name input head with
        | Ok spec -> spec
        | Error e -> raise (ConfigException("model", e))

    /// `model show`'s lines: each layer with its output shape, parameters and FLOPs
    /// (ModelSpec.summary); throws ConfigException on `model`.
    static member Summary(spec: ModelSpec) : string[] =
        match ModelSpec.summary spec with
        | Ok lines -> Array.ofList lines
        | Error e -> raise (ConfigException("model", e))
