namespace Lrbs.Core.Training

open System
open System.Globalization
open Lrbs.Core.Data
open Lrbs.Core.Losses
open Lrbs.Core.Optimizers
open Lrbs.Core.Schedules

/// A branch of a reference run (Merrill, Arora, Groeneveld and Hajishirzi 2025, "Critical Batch
/// Size Revisited", arXiv 2505.23971, §3.1: from "a checkpoint" of the reference run, branches
/// train at larger batch sizes for "a window of Δ tokens"). The reference run is the branch's own
/// config at `ParentBatch`, with no scaling rule and no branch (`TrialConfig.reference`); the
/// branch starts from its exact state `At` epochs in (a fraction of an epoch included: the step
/// round(At x its steps per epoch)) and trains `Window` epochs of examples at its own batch size,
/// on the rows the reference run would have seen next.
type BranchPoint = { At: float; ParentBatch: int; Window: float }

/// Everything that defines one trial: two equal configs train identically. Built only by
/// TrialConfig.build from key = text pairs (the command line, sweep files and tests all
/// go through it), so the defaults and the checks exist once.
type TrialConfig =
    {
        Dataset: string
        DataDir: string option
        /// Seeds the pool draw and the split (repeats vary `Seed`, not the data).
        DataSeed: int
        /// A seeded draw of this many rows before the split.
        Pool: int option
        Split: Split
        /// Use only the first N training rows (quick runs).
        TrainLimit: int option
        /// Evaluate on a seeded draw of N rows of the test partition (quick runs).
        TestLimit: int option
        /// Image-folder datasets: the side images are resized to.
        ImageSize: int option
        /// Attribute datasets: the attributes that form the multi-label target.
        Labels: string list
        /// The model's name: a catalog model, or a declared model's own name.
        Model: string
        /// A declared model's layers (train --model FILE, a sweep's model: FILE or mapping); None
        /// for a catalog model.
        ModelDefinition: Lrbs.Core.Models.ModelFile.Definition option
        LossForm: LossForm
        /// Box targets: the form of 1 - IoU trained on.
        BoxLoss: IouForm
        /// Evaluate the test part in whole batches of batch_size (the last partial batch
        /// dropped), as S1's study counted (docs/studies.md); otherwise every test row.
        EvalWholeBatches: bool
        /// The optimizer's name (OptimizerSpec.names).
        Optimizer: string
        /// Hyper-parameters given for it (weight_decay, beta2, ...), over its defaults.
        OptimizerSettings: (string * float) list
        /// The learning rate (with Scaling: the base rate lr0 at BaseBatch).
        Lr: float
        Scaling: LrScaling option
        BatchSize: int
        Schedule: Schedule
        Stopping: Stopping
        /// Seeds the initial weights, the shuffling and the dropout masks.
        Seed: int
        NoiseScale: NoiseScale option
        /// A branch of a reference run (None: an ordinary trial).
        Branch: BranchPoint option
        /// Keep the model's outputs on every test example (OUT/predictions/ID.parquet).
        Predictions: bool
    }

/// A bad configuration value: the field, and a message with the value and what is allowed.
type ConfigError = { Field: string; Message: string }

module TrialConfig =
    let private inv = CultureInfo.InvariantCulture

    /// The keys a trial is built from: (key, default as text, meaning). The one place where defaults live.
    let keys: (string * string * string) list =
        [
            "dataset", "", "dataset name (see `lrbs list`); required"
            "data_dir", "", "read the dataset from this folder or file instead of its default place"
            "data_seed", "1", "seeds the pool draw and the split"
            "pool", "", "draw this many rows (seeded) before the split"
            "split", "", "official, TRAIN/TEST or TRAIN/VAL/TEST percent (e.g. 80/20, 80/10/10); default: the dataset's own"
            "train_limit", "", "use only the first N training rows"
            "test_limit", "", "evaluate on a seeded draw of N test rows (quick runs; recorded in the trial row)"
            "image_size", "", "image folders: resize images to SIZE x SIZE (default 32)"
            "labels", "", "attribute datasets: comma-separated attributes to predict"
            "model", "mlp-100-50", "a model name (see `lrbs list`), or a declared model (train --model FILE; a sweep's model: FILE or mapping)"
            "cross_entropy", "logits", "logits (tf.keras on TensorFlow) or clipped (TensorFlow.js)"
            "box_loss", "keras-plus-one", "box targets: the 1 - IoU trained on, keras-plus-one (S7's study: + 1 on widths and heights) or exact"
            "eval_batches", "all", "all (every test row) or whole (whole batches of batch_size, the last partial one dropped, as S1's study)"
            "optimizer", "sgd", "optimizer name (see `lrbs list`); its hyper-parameters are the keys below, each where it applies"
            "lr", "0.01", "learning rate (> 0); with scaling, the base rate at base_batch"
            "scaling",
            "none",
            "none, linear (lr0 B/B0), sqrt (lr0 sqrt(B/B0)), adam-sqrt-sde (Malladi et al. 2022: lr, beta1, beta2, epsilon) or beta2-halflife (Marek et al. 2025: beta2^(B/B0)); B0 is base_batch"
            "base_batch", "", "the batch size at which lr is right (needs scaling)"
            "warmup_epochs", "0", "with scaling: rise linearly from lr to the scaled rate over these epochs"
            "batch_size", "32", "batch size (1 .. training rows)"
            "schedule",
            "constant",
            "constant, step:F:K, plateau:F:P[:MIN_LR[:MIN_DELTA[:COOLDOWN]]], grow-batch:F:P:MAX[:MIN_DELTA[:COOLDOWN]], batch-points:EPOCH/BATCH/LR,... (a batch-size warm-up; `lrbs warmup` builds one)"
            "max_epochs", "5", "maximum epochs"
            "stop_when_stable", "false", "stop when the epoch loss changes by < stable_delta for stable_patience epochs"
            "stable_delta", "0.01", "loss change below which an epoch counts as stable"
            "stable_patience", "10", "consecutive stable epochs that stop a trial"
            "early_stopping_patience", "", "stop after this many epochs without an improvement of the monitored loss (Keras EarlyStopping)"
            "early_stopping_min_delta", "0", "improvement the early stopping rule requires"
            "early_stopping_monitor", "val_loss", "the loss early stopping watches: val_loss (needs a validation split) or loss (the epoch's training loss)"
            "seed", "1", "seeds weights, shuffling and dropout"
            "noise_scale_every", "", "measure the gradient noise scale every N steps"
            "noise_scale_small", "", "the small batch b of the noise scale measurement (divides batch_size)"
            "noise_scale_ema", "0.95", "decay of the noise scale's moving averages"
            "predictions", "false", "keep the outputs on every test example (sweeps: OUT/*_predictions/ID.parquet)"
            "branch_at", "", "a branch: start from the reference run (this trial at branch_batch, no scaling) this many epochs in (> 0, fractions allowed)"
            "branch_batch", "", "a branch: the reference run's batch size"
            "branch_window", "", "a branch: the epochs of examples it trains from its branch point (> 0, at most max_epochs)"
        ]
        @ (OptimizerSpec.hyperKeys
           |> List.map (fun k ->
               let owners = Kinds.all |> List.filter (fun o -> o.Keys |> List.exists (fun h -> h.Name = k))
               let doc = (owners.Head.Keys |> List.find (fun h -> h.Name = k)).Doc
               k, "", $"""optimizer {String.concat ", " (owners |> List.map (fun o -> o.Name))}: {doc}"""))

    let keyNames = keys |> List.map (fun (k, _, _) -> k)
    let defaultOf key = keys |> List.pick (fun (k, d, _) -> if k = key then Some d else None)

    let private number (text: string) =
        match Double.TryParse(text, NumberStyles.Float, inv) with
        | true, v when Double.IsFinite v -> Some v
        | _ -> None

    let private positive (text: string) =
        match number text with
        | Some v when v > 0.0 -> Ok v
        | _ -> Error $"expected a number > 0, got '{text}'"

    let private nonNegative (text: string) =
        match number text with
        | Some v when v >= 0.0 -> Ok v
        | _ -> Error $"expected a number >= 0, got '{text}'"

    let private integer (least: int) (text: string) =
        match Int32.TryParse(text, NumberStyles.Integer, inv) with
        | true, v when v >= least -> Ok v
        | _ -> Error $"expected an integer >= {least}, got '{text}'"

    let private boolean (text: string) =
        match text.ToLowerInvariant() with
        | "true" -> Ok true
        | "false" -> Ok false
        | _ -> Error $"expected true or false, got '{text}'"

    let private fraction (text: string) =
        match number text with
        | Some v when v >= 0.0 && v < 1.0 -> Ok v
        | _ -> Error $"expected a number in [0, 1), got '{text}'"

    /// The nearest key within edit distance 3, as " (did you mean 'x'?)".
    let suggest (key: string) (allowed: string seq) = Lrbs.Core.Models.LayerRegistry.suggest key allowed

    /// The optimizer a trial trains with: its name and keys, then a scaling rule's rewrite of its
    /// settings for the trial's batch size (adam-sqrt-sde, beta2-halflife), checked against the
    /// optimizer's own ranges. An error names the rule, the batch sizes and the key.
    let scaledOptimizer (c: TrialConfig) : Result<OptimizerSpec, string> =
        OptimizerSpec.create c.Optimizer c.OptimizerSettings
        |> Result.bind (fun spec ->
            match c.Scaling with
            | None -> Ok spec
            | Some s when LrScaling.optimizerKeys s.Rule |> List.isEmpty -> Ok spec
            | Some s ->
                let where = $"scaling {LrScaling.ruleName s.Rule} at batch {c.BatchSize} from base_batch {s.BaseBatch}"

                LrScaling.optimizerSettings s c.BatchSize spec.Settings
                |> Result.mapError (fun e -> $"{where}: {e}")
                |> Result.bind (fun settings ->
                    let changed = LrScaling.optimizerKeys s.Rule |> List.map (fun k -> k, settings[k])
                    let given = (c.OptimizerSettings |> List.filter (fun (k, _) -> not (List.contains k (List.map fst changed)))) @ changed
                    let shown = changed |> List.map (fun (k, v) -> $"""{k} = {v.ToString("G6", inv)}""") |> String.concat ", "
                    OptimizerSpec.create c.Optimizer given |> Result.mapError (fun e -> $"{where} gives {shown}: {e}")))

    /// The key = text pairs of one build, read key by key: each problem is recorded (naming its
    /// key) and reading goes on with a fallback, so that one build reports every problem at once.
    type private Fields(fields: (string * string) list) =
        let errors = ResizeArray<ConfigError>()
        let given = Map.ofList fields
        member _.Errors = errors
        member _.Fail (field: string) (message: string) = errors.Add { Field = field; Message = message }
        member _.Failed(field: string) = errors.Exists(fun e -> e.Field = field)
        member _.IsGiven key = given.ContainsKey key
        /// A key's text, its default when absent.
        member _.Text key = given |> Map.tryFind key |> Option.defaultWith (fun () -> defaultOf key)

        /// The parsed value of a key (its default when absent), or `fallback` after recording the error.
        member f.Value key (parse: string -> Result<'a, string>) (fallback: 'a) =
            match parse (f.Text key) with
            | Ok v -> v
            | Error e ->
                f.Fail key e
                fallback

        /// None for an empty text, else the parsed value.
        member f.Optional key parse = if f.Text key = "" then None else Some(f.Value key parse Unchecked.defaultof<_>)

    /// Unknown keys and keys given twice.
    let private checkKeys (f: Fields) (fields: (string * string) list) =
        for k, _ in fields do
            if not (List.contains k keyNames) then
                f.Fail k $"""unknown key '{k}'{suggest k keyNames}; allowed: {String.concat ", " keyNames}"""

        for k, n in fields |> List.countBy fst do
            if n > 1 then
                f.Fail k $"given {n} times"

    /// The dataset, its registry entry and its split (the dataset's default split when not given).
    let private readData (f: Fields) =
        let dataset = f.Text "dataset"
        let info = Registry.tryInfo dataset

        if dataset = "" then
            f.Fail "dataset" $"""missing; allowed: {String.concat ", " Registry.names}"""
        elif info.IsNone then
            f.Fail "dataset" (DataError.Unknown(dataset, Registry.names)).Message

        let split =
            if f.IsGiven "split" then
                f.Value "split" Split.parse Split.Official
            else
                info |> Option.map (fun i -> i.DefaultSplit) |> Option.defaultValue Split.Official

        dataset, info, split

    /// The model's name and, for a model file, its definition.
    let private readModel (f: Fields) =
        let modelText = f.Text "model"
        let catalog = Lrbs.Core.Models.Catalog.names

        let definition =
            if Lrbs.Core.Models.ModelFile.isDefinition modelText then
                match Lrbs.Core.Models.ModelFile.ofJson modelText with
                | Ok d -> Some d
                | Error e ->
                    f.Fail "model" e
                    None
            else
                if not (List.contains modelText catalog) then
                    f.Fail
                        "model"
                        $"""unknown model '{modelText}'{Lrbs.Core.Suggest.hint modelText catalog}; allowed: {String.concat ", " catalog}, or a model file (.yaml)"""

                None

        (definition |> Option.map (fun d -> d.Name) |> Option.defaultValue modelText), definition

    /// The optimizer's name and the hyper-parameters given (true/false read as 1/0), each checked
    /// against the optimizer's own keys and ranges (OptimizerSpec.create).
    let private readOptimizer (f: Fields) =
        let optimizer = f.Text "optimizer"

        let settings =
            OptimizerSpec.hyperKeys
            |> List.filter f.IsGiven
            |> List.choose (fun k ->
                match (f.Text k).ToLowerInvariant() with
                | "true" -> Some(k, 1.0)
                | "false" -> Some(k, 0.0)
                | t ->
                    match number t with
                    | Some v -> Some(k, v)
                    | None ->
                        f.Fail k $"expected a number (or true/false), got '{t}'"
                        None)

        match OptimizerSpec.ofName optimizer with
        | Error e -> f.Fail "optimizer" e
        | Ok plain ->
            let own = plain.Kind.Keys |> List.map (fun h -> h.Name)
            let foreign = settings |> List.filter (fun (k, _) -> not (List.contains k own))

            for k, _ in foreign do
                f.Fail k $"""does not apply to optimizer {optimizer}; its keys: {String.concat ", " own}"""

            if foreign.IsEmpty then
                match OptimizerSpec.create optimizer settings with
                | Error e -> f.Fail "optimizer" e
                | Ok _ -> ()

        optimizer, settings

    /// The learning-rate scaling rule with its base batch and warm-up: all or none of them.
    let private readScaling (f: Fields) =
        let rules = "linear, sqrt, adam-sqrt-sde or beta2-halflife"
        let rule = f.Value "scaling" LrScaling.parseRule None
        let baseBatch = f.Optional "base_batch" (integer 1)
        let warmup = f.Value "warmup_epochs" (integer 0) 0

        match rule, baseBatch with
        | Some rule, Some b -> Some { Rule = rule; BaseBatch = b; WarmupEpochs = warmup }
        | Some _, None ->
            f.Fail "base_batch" "scaling needs base_batch, the batch size at which lr is right"
            None
        | None, Some _ ->
            f.Fail "base_batch" $"base_batch needs scaling ({rules})"
            None
        | None, None ->
            if warmup > 0 then
                f.Fail "warmup_epochs" $"warm-up rises to a scaled rate: it needs scaling ({rules})"

            None

    /// The stopping rules: the epoch limit, the stabilisation rule and early stopping.
    let private readStopping (f: Fields) =
        let stableOn = f.Value "stop_when_stable" boolean false || f.IsGiven "stable_delta" || f.IsGiven "stable_patience"

        let monitor =
            function
            | "val_loss" -> Ok Monitor.ValLoss
            | "loss" -> Ok Monitor.TrainLoss
            | other -> Error $"""unknown monitor '{other}'{Lrbs.Core.Suggest.hint other [ "val_loss"; "loss" ]}; allowed: val_loss, loss"""

        let stopping =
            {
                MaxEpochs = f.Value "max_epochs" (integer 1) 1
                Stabilisation = if stableOn then Some(f.Value "stable_delta" positive 0.01, f.Value "stable_patience" (integer 1) 1) else None
                EarlyStopping =
                    f.Optional "early_stopping_patience" (integer 1)
                    |> Option.map (fun p ->
                        {
                            Patience = p
                            MinDelta = f.Value "early_stopping_min_delta" nonNegative 0.0
                            Monitor = f.Value "early_stopping_monitor" monitor Monitor.ValLoss
                        })
            }

        for key in [ "early_stopping_min_delta"; "early_stopping_monitor" ] do
            if stopping.EarlyStopping.IsNone && f.IsGiven key then
                f.Fail key "needs early_stopping_patience"

        stopping

    /// The gradient noise scale measurement: both of every and small, or neither.
    let private readNoise (f: Fields) =
        let both = "the noise scale needs both every and small"

        match f.Optional "noise_scale_every" (integer 1), f.Optional "noise_scale_small" (integer 1) with
        | Some every, Some small -> Some { Every = every; Small = small; Ema = f.Value "noise_scale_ema" fraction 0.95 }
        | None, None ->
            if f.IsGiven "noise_scale_ema" then
                f.Fail "noise_scale_ema" "needs noise_scale_every and noise_scale_small"

            None
        | Some _, None ->
            f.Fail "noise_scale_every" $"{both}: give noise_scale_small too"
            None
        | None, Some _ ->
            f.Fail "noise_scale_small" $"{both}: give noise_scale_every too"
            None

    /// A branch of a reference run: all of branch_at, branch_batch and branch_window, or none.
    let private readBranch (f: Fields) =
        let keys = [ "branch_at"; "branch_batch"; "branch_window" ]

        match keys |> List.filter f.IsGiven with
        | [] -> None
        | given when given.Length < keys.Length ->
            let missing = keys |> List.except given
            f.Fail missing.Head $"""a branch needs {String.concat ", " keys}; {String.concat ", " missing} missing"""
            None
        | _ ->
            Some
                {
                    At = f.Value "branch_at" positive 1.0
                    ParentBatch = f.Value "branch_batch" (integer 1) 1
                    Window = f.Value "branch_window" positive 1.0
                }

    /// A branch point inside its reference run, a window the run could hold, a reference run
    /// with a fixed batch size and a scaling rule (if any) from the reference batch size.
    let private checkBranch (f: Fields) (config: TrialConfig) =
        match config.Branch with
        | None -> ()
        | Some b ->
            let run = config.Stopping.MaxEpochs

            if b.At >= float run then
                f.Fail "branch_at" $"the branch point {b.At} epochs is outside the reference run of max_epochs {run}"

            if b.Window > float run then
                f.Fail "branch_window" $"the window {b.Window} epochs is longer than the reference run of max_epochs {run}"

            if config.Schedule <> Schedule.Constant then
                f.Fail
                    "schedule"
                    $"a branch trains at one learning rate and batch size from its branch point; schedule {Schedule.canonical config.Schedule} changes them"

            match config.Scaling with
            | Some s when s.BaseBatch <> b.ParentBatch ->
                f.Fail
                    "base_batch"
                    $"a branch scales its learning rate from the reference run's batch size: base_batch {s.BaseBatch} must be branch_batch {b.ParentBatch}"
            | Some s when s.WarmupEpochs > 0 -> f.Fail "warmup_epochs" "a branch goes on from a trained state: no warm-up applies"
            | _ -> ()

    /// Options that watch a validation part or need a fixed batch size, where the split or the
    /// schedule cannot give one: an option that cannot apply is an error, never ignored.
    let private checkSplitAndBatch (f: Fields) (config: TrialConfig) =
        let hasValidation =
            match config.Split with
            | Split.Pooled(_, v) -> v > 0.0
            | Split.Official -> false

        let splitText = Split.describe config.Split
        let growing = Schedule.changesBatch config.Schedule

        match config.Stopping.EarlyStopping with
        // (a monitor that did not parse is reported as such, not also as a missing validation part)
        | Some { Monitor = Monitor.ValLoss } when not hasValidation && not (f.Failed "early_stopping_monitor") ->
            f.Fail
                "early_stopping_patience"
                $"early stopping watches the validation loss, but split {splitText} has no validation part; use e.g. split 80/10/10, or early_stopping_monitor: loss"
        | _ -> ()

        if Schedule.needsValidation config.Schedule && not hasValidation then
            f.Fail
                "schedule"
                $"schedule {Schedule.canonical config.Schedule} watches the validation loss, but split {splitText} has no validation part; use e.g. split 80/10/10"

        match config.Schedule with
        | Schedule.GrowBatchOnPlateau(_, maxBatch, _) when maxBatch < config.BatchSize ->
            f.Fail "schedule" $"grow-batch's max_batch {maxBatch} is below batch_size {config.BatchSize}"
        | Schedule.BatchPoints _ when config.Scaling.IsSome ->
            f.Fail "scaling" "batch-points sets the learning rate of each of its batch sizes itself; a scaling rule does not apply"
        | _ -> ()

        if config.Pool.IsSome && config.Split = Split.Official then
            f.Fail "pool" "a pool is drawn before a pooled split; the official split keeps the publisher's partition (use e.g. split 80/20)"

        match config.NoiseScale with
        | Some n when n.Small >= config.BatchSize ->
            f.Fail "noise_scale_small" $"the small batch ({n.Small}) must be smaller than batch_size ({config.BatchSize})"
        | Some n when config.BatchSize % n.Small <> 0 -> f.Fail "noise_scale_small" $"the small batch ({n.Small}) must divide batch_size ({config.BatchSize})"
        | Some _ when growing -> f.Fail "noise_scale_every" "the noise scale needs a fixed batch size; the grow-batch schedule changes it"
        | _ -> ()

        if f.Errors.Count = 0 && config.Scaling.IsSome then
            if growing && not (LrScaling.optimizerKeys config.Scaling.Value.Rule).IsEmpty then
                f.Fail
                    "scaling"
                    $"scaling {LrScaling.ruleName config.Scaling.Value.Rule} sets the optimizer for one batch size; the grow-batch schedule changes it"

            match scaledOptimizer config with
            | Error e -> f.Fail "scaling" e
            | Ok _ -> ()

        if config.EvalWholeBatches && growing then
            f.Fail "eval_batches" "whole batches of batch_size need a fixed batch size; the grow-batch schedule changes it"

    /// Keys that apply to some datasets only.
    let private checkDatasetKeys (f: Fields) (info: Registry.DatasetInfo option) (config: TrialConfig) =
        match info with
        | Some i ->
            let dataset = config.Dataset

            if config.ImageSize.IsSome && not i.UsesImageSize then
                f.Fail "image_size" $"dataset {dataset} has fixed-size images; image_size applies to image folders"

            if not config.Labels.IsEmpty && not i.UsesLabels then
                f.Fail "labels" $"dataset {dataset} has no attributes to choose; labels applies to attribute datasets"

            if i.Targets = TargetKind.Boxes && config.LossForm <> LossForm.Logits then
                f.Fail "cross_entropy" $"dataset {dataset} has box targets (loss 1 - IoU): cross_entropy does not apply"

            if i.Targets <> TargetKind.Boxes && f.IsGiven "box_loss" then
                f.Fail "box_loss" $"dataset {dataset} has no box targets: box_loss applies to box regression (e.g. boxes)"

            if i.NeedsDataDir && config.DataDir.IsNone then
                f.Fail "data_dir" $"dataset {dataset} is read from a folder you name: {i.DataHint}"
        | None -> ()

    /// The evaluation: every test row, or whole batches of batch_size.
    let private evalWhole =
        function
        | "all" -> Ok false
        | "whole" -> Ok true
        | other -> Error $"""unknown evaluation '{other}'{Lrbs.Core.Suggest.hint other [ "all"; "whole" ]}; allowed: all, whole"""

    /// Builds a trial from key = text pairs; absent keys take their defaults. Returns every
    /// problem found, each naming its key, the value and what is allowed.
    let build (fields: (string * string) list) : Result<TrialConfig, ConfigError list> =
        let f = Fields fields
        checkKeys f fields
        let dataset, info, split = readData f
        let model, definition = readModel f
        let optimizer, optimizerSettings = readOptimizer f
        let scaling = readScaling f
        let stopping = readStopping f
        let noise = readNoise f

        let config =
            {
                Dataset = dataset
                DataDir = f.Optional "data_dir" Ok
                DataSeed = f.Value "data_seed" (integer 0) 0
                Pool = f.Optional "pool" (integer 1)
                Split = split
                TrainLimit = f.Optional "train_limit" (integer 1)
                TestLimit = f.Optional "test_limit" (integer 1)
                ImageSize = f.Optional "image_size" (integer 4)
                Labels = (f.Text "labels").Split(',', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries) |> List.ofArray
                Model = model
                ModelDefinition = definition
                LossForm = f.Value "cross_entropy" LossForm.parse LossForm.Logits
                BoxLoss = f.Value "box_loss" IouForm.parse IouForm.KerasPlusOne
                EvalWholeBatches = f.Value "eval_batches" evalWhole false
                Optimizer = optimizer
                OptimizerSettings = optimizerSettings
                Lr = f.Value "lr" positive 0.01
                Scaling = scaling
                BatchSize = f.Value "batch_size" (integer 1) 1
                Schedule = f.Value "schedule" Schedule.parse Schedule.Constant
                Stopping = stopping
                Seed = f.Value "seed" (integer 0) 0
                NoiseScale = noise
                Predictions = f.Value "predictions" boolean false
                Branch = readBranch f
            }

        checkSplitAndBatch f config
        checkBranch f config
        checkDatasetKeys f info config
        if f.Errors.Count = 0 then Ok config else Error(List.ofSeq f.Errors)

    /// The resolved optimizer, scaled to the trial's batch size (build checked it).
    let optimizerSpec (c: TrialConfig) =
        match scaledOptimizer c with
        | Ok s -> s
        | Error e -> invalidArg "c" e

    /// The optimizer as text: its name, then any hyper-parameter off its defaults
    /// (`lamb(weight_decay=0.01)`). The trial id and the trial row's optimizer column are this.
    let optimizerText (c: TrialConfig) = OptimizerSpec.canonical c.Optimizer c.OptimizerSettings

    /// The model for the dataset's input and head: a catalog model built for them, or a declared
    /// model checked against them (its shapes fit, its last layer matches the targets).
    let modelSpec (c: TrialConfig) (input: Lrbs.Core.Models.Shape) (head: Lrbs.Core.Models.Catalog.Head) =
        match c.ModelDefinition with
        | None -> Lrbs.Core.Models.Catalog.build c.Model input head
        | Some d ->
            let spec: Lrbs.Core.Models.ModelSpec = { Name = d.Name; Input = input; Layers = d.Layers }

            Lrbs.Core.Models.ModelSpec.shapes spec
            |> Result.bind (fun _ -> Lrbs.Core.Models.Catalog.checkHead spec head)
            |> Result.mapError (fun e -> $"model '{d.Name}' on input {input}: {e}")

    /// The learning rate the trial starts from after the warm-up (lr, or lr scaled to the batch).
    let targetLr (c: TrialConfig) =
        match c.Scaling with
        | Some s -> LrScaling.scaled s c.Lr c.BatchSize
        | None -> c.Lr

    /// The version of the canonical text: change it only with a reason, since every id changes.
    [<Literal>]
    let CanonicalVersion = "lrbs-trial v1"

    /// Each key of a config as its canonical text ("" where absent): the trial id hashes these,
    /// and the trial row's text columns (split, scaling, schedule, stabilisation, ...) are these,
    /// so a value is formatted in this one place. Keys added since v1 appear where they apply
    /// (box_loss: box targets) or when not at their default (eval_batches, test_limit,
    /// early_stopping_monitor), so that
    /// the ids of the trials they do not touch stay as they were.
    let values (c: TrialConfig) =
        let r (v: float) = v.ToString("R", inv)
        let opt f = Option.map f >> Option.defaultValue ""

        [
            "dataset", c.Dataset
            "data_dir", opt id c.DataDir
            "data_seed", string c.DataSeed
            "pool", opt string c.Pool
            "split", Split.describe c.Split
            "train_limit", opt string c.TrainLimit
            "image_size", opt string c.ImageSize
            "labels", String.concat "," c.Labels
            "model",
            (match c.ModelDefinition with
             | Some d -> "layers: " + (d.Layers |> List.map (fun l -> l.Canonical) |> String.concat "; ")
             | None -> c.Model)
            "cross_entropy", LossForm.name c.LossForm
            "optimizer", OptimizerSpec.canonical c.Optimizer c.OptimizerSettings
            "lr", r c.Lr
            "scaling", opt (fun (s: LrScaling) -> $"{LrScaling.ruleName s.Rule}:{s.BaseBatch}:{s.WarmupEpochs}") c.Scaling
            "batch_size", string c.BatchSize
            "schedule", Schedule.canonical c.Schedule
            "max_epochs", string c.Stopping.MaxEpochs
            "stabilisation", opt (fun (d, p) -> $"{r d}:{p}") c.Stopping.Stabilisation
            "early_stopping", opt (fun (e: EarlyStop) -> $"{e.Patience}:{r e.MinDelta}") c.Stopping.EarlyStopping
            "seed", string c.Seed
            "noise_scale", opt (fun (n: NoiseScale) -> $"{n.Every}:{n.Small}:{r n.Ema}") c.NoiseScale
            "predictions", (if c.Predictions then "true" else "false")
        ]
        @ (match Registry.tryInfo c.Dataset with
           | Some i when i.Targets = TargetKind.Boxes -> [ "box_loss", IouForm.name c.BoxLoss ]
           | _ -> [])
        @ (if c.EvalWholeBatches then [ "eval_batches", "whole" ] else [])
        @ (match c.TestLimit with
           | Some n -> [ "test_limit", string n ]
           | None -> [])
        @ (match c.Stopping.EarlyStopping with
           | Some { Monitor = Monitor.TrainLoss } -> [ "early_stopping_monitor", Monitor.TrainLoss.Name ]
           | _ -> [])
        @ (match c.Branch with
           | Some b -> [ "branch", $"{r b.At}:{b.ParentBatch}:{r b.Window}" ]
           | None -> [])

    /// The build fields of a canonical text (`canonical`, the manifest's `config` column): the
    /// inverse of `values`, so that a committed trial rebuilds into the config its id hashes.
    /// A key `values` joins (stabilisation, early_stopping, noise_scale, scaling, an optimizer's
    /// changed settings) is split back into the keys `build` reads; an empty value is a key not
    /// given. A model file's layers are not a model file: such a trial cannot be rebuilt.
    let fieldsOfCanonical (text: string) : Result<(string * string) list, ConfigError list> =
        let lines = text.Replace("\r", "").Split('\n')
        let bad message = Error [ { Field = "config"; Message = message } ]

        if lines[0] <> CanonicalVersion then
            bad $"not a canonical trial config: its first line is '{lines[0]}', expected '{CanonicalVersion}'"
        else
            let parts (v: string) (names: string list) = List.zip names (List.ofArray (v.Split ':'))

            let field (line: string) =
                let i = line.IndexOf '='
                let k, v = line[.. i - 1], line[i + 1 ..]

                match k with
                | _ when v = "" -> Ok []
                | "stabilisation" -> Ok(("stop_when_stable", "true") :: parts v [ "stable_delta"; "stable_patience" ])
                | "early_stopping" -> Ok(parts v [ "early_stopping_patience"; "early_stopping_min_delta" ])
                | "noise_scale" -> Ok(parts v [ "noise_scale_every"; "noise_scale_small"; "noise_scale_ema" ])
                | "scaling" -> Ok(parts v [ "scaling"; "base_batch"; "warmup_epochs" ])
                | "branch" -> Ok(parts v [ "branch_at"; "branch_batch"; "branch_window" ])
                | "optimizer" when v.EndsWith ")" ->
                    let open' = v.IndexOf '('

                    let settings =
                        v[open' + 1 .. v.Length - 2].Split(',') |> Array.map (fun kv -> let j = kv.IndexOf '=' in kv[.. j - 1], kv[j + 1 ..])

                    Ok(("optimizer", v[.. open' - 1]) :: List.ofArray settings)
                | "model" when v.StartsWith "layers: " -> Error "model: a model file's trial keeps its layers, not its file, and cannot be rebuilt"
                | _ -> Ok [ k, v ]

            let results = lines[1..] |> Array.filter (fun l -> l.Contains '=') |> Array.map field

            match Lrbs.Core.Results.all results with
            | Error e -> bad e
            | Ok fields -> Ok(List.concat fields)

    /// The canonical text of a config: a version line, then every key of `values` as key=value,
    /// sorted, numbers in round-trip form. Trial ids hash exactly this.
    let canonical (c: TrialConfig) = CanonicalVersion + "\n" + (values c |> List.sortBy fst |> List.map (fun (k, v) -> $"{k}={v}") |> String.concat "\n")

    /// A stable id: the first 16 hex digits of SHA-256 over the canonical text.
    let id (c: TrialConfig) =
        let bytes = Security.Cryptography.SHA256.HashData(Text.Encoding.UTF8.GetBytes(canonical c))
        Convert.ToHexString(bytes).ToLowerInvariant().Substring(0, 16)

    /// A branch's reference run: the same config at the reference batch size, with no scaling
    /// rule and no branch (its learning rate is the branch's base rate). None for an ordinary trial.
    let reference (c: TrialConfig) = c.Branch |> Option.map (fun b -> { c with BatchSize = b.ParentBatch; Scaling = None; Branch = None })

    /// The reference run's step at which a branch starts: round(At x steps per epoch) at the
    /// reference batch size on `rows` training rows (the last batch of an epoch may be smaller).
    let branchStep (rows: int) (b: BranchPoint) =
        let perEpoch = (rows + b.ParentBatch - 1) / b.ParentBatch
        max 1 (int (Math.Round(b.At * float perEpoch, MidpointRounding.AwayFromZero)))

    /// The examples a branch trains: round(Window x rows).
    let windowRows (rows: int) (b: BranchPoint) = int (Math.Round(b.Window * float rows, MidpointRounding.AwayFromZero))
