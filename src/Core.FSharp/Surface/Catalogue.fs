/// What `lrbs list` and the parity matrix enumerate: each registry of the core (datasets, catalog
/// models, layers, activations, optimizers and presets) as arrays of named entries. Each member
/// reads the one registry it names; a new layer, optimizer or dataset shows here unedited.
namespace Lrbs.Core.Surface

open System.Globalization
open Lrbs.Core.Data
open Lrbs.Core.Models
open Lrbs.Core.Optimizers

/// One registry entry: its name, its one-line description and its keys as `key=default` text.
type Entry = { Name: string; Doc: string; Keys: string[] }

[<AbstractClass; Sealed>]
type Catalogue =
    static member private Number(v: float) = v.ToString("R", CultureInfo.InvariantCulture)

    /// The datasets (Registry.datasets).
    static member Datasets: Entry[] =
        Registry.datasets |> List.map (fun d -> { Name = d.Name; Doc = d.Description; Keys = [||] }) |> List.toArray

    /// The catalog's models (Catalog.describe).
    static member Models: Entry[] = Catalog.describe () |> List.map (fun (n, d) -> { Name = n; Doc = d; Keys = [||] }) |> List.toArray

    /// The layer kinds (LayerRegistry.all), each key with its default where it has one, and
    /// `activation=linear` for the kinds that take an activation.
    static member Layers: Entry[] =
        [|
            for d in LayerRegistry.all ->
                let keys =
                    [
                        for k in d.Keys ->
                            match k.Default with
                            | Some v -> $"{k.Name}={v.Canonical}"
                            | None -> k.Name
                        if d.HasActivation then
                            yield "activation=linear"
                    ]

                { Name = d.Name; Doc = d.Doc; Keys = List.toArray keys }
        |]

    /// The activations (Activations.all).
    static member Activations: Entry[] =
        Activations.all |> List.map (fun a -> { Name = a.Name; Doc = a.Doc; Keys = [||] }) |> List.toArray

    /// The optimizer kinds (Kinds.all), each hyper-parameter at its default.
    static member Optimizers: Entry[] =
        [|
            for k in Kinds.all -> { Name = k.Name; Doc = k.Doc; Keys = [| for h in k.Keys -> $"{h.Name}={Catalogue.Number h.Default}" |] }
        |]

    /// The optimizer presets (OptimizerSpec.presets): Doc is the kind they set, Keys what they set.
    static member Presets: Entry[] =
        [|
            for name, kind, keys in OptimizerSpec.presets -> { Name = name; Doc = kind.Name; Keys = [| for key, v in keys -> $"{key}={Catalogue.Number v}" |] }
        |]

    /// Every name `optimizer` accepts: the kinds, then the presets (OptimizerSpec.names).
    static member OptimizerNames: string[] = List.toArray OptimizerSpec.names

    /// Every optimizer hyper-parameter key (OptimizerSpec.hyperKeys).
    static member HyperKeys: string[] = List.toArray OptimizerSpec.hyperKeys

    /// Whether an optimizer kind has weight decay off by default (a `weight_decay` key at 0);
    /// false for a preset or an unknown name.
    static member WeightDecayOffByDefault(name: string) : bool =
        Kinds.all
        |> List.exists (fun k -> k.Name = name && k.Keys |> List.exists (fun h -> h.Name = "weight_decay" && h.Default = 0.0))
