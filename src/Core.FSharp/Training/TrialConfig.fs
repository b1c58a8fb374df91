namespace Lrbs.Core.Training

open Lrbs.Core.Data
open Lrbs.Core.Optimizers
open Lrbs.Core.Schedules

/// Everything that defines one trial. Two equal configs train identically.
type TrialConfig =
    { Dataset: string
      /// Folder to read the dataset from instead of its default place.
      DataDir: string option
      Model: string
      /// The optimizer's name (OptimizerSpec.names) and its resolved spec.
      OptimizerName: string
      Optimizer: OptimizerSpec
      Lr: float
      BatchSize: int
      Schedule: Schedule
      Stopping: Stopping
      Split: Split
      Seed: int
      /// Use only the first N training rows (quick runs); None = all.
      TrainLimit: int option }

/// A bad configuration value: the field and what is allowed.
type ConfigError = { Field: string; Message: string }

module TrialConfig =
    /// A config with the study defaults for a dataset/model/optimizer name.
    let create dataset model (optimizerName: string) lr batchSize epochs seed =
        { Dataset = dataset
          DataDir = None
          Model = model
          OptimizerName = optimizerName
          Optimizer = OptimizerSpec.ofName optimizerName |> Result.defaultValue (OptimizerSpec.Sgd SgdConfig.Default)
          Lr = lr
          BatchSize = batchSize
          Schedule = Schedule.Constant
          Stopping = Stopping.Epochs epochs
          Split = Registry.defaultSplit dataset
          Seed = seed
          TrainLimit = None }

    /// Checks every field that can be checked without data; returns all problems.
    let validate (c: TrialConfig) : Result<TrialConfig, ConfigError list> =
        let err field (r: Result<_, string>) =
            match r with
            | Error m -> [ { Field = field; Message = m } ]
            | Ok _ -> []
        let errors =
            [ if not (List.contains c.Dataset Registry.names) then
                  yield { Field = "dataset"; Message = (DataError.Unknown(c.Dataset, Registry.names)).Message }
              if not (List.contains c.Model Lrbs.Core.Models.Catalog.names) then
                  yield
                      { Field = "model"
                        Message = $"""unknown model '{c.Model}'; allowed: {String.concat ", " Lrbs.Core.Models.Catalog.names}""" }
              yield! OptimizerSpec.ofName c.OptimizerName |> Result.bind (fun _ -> OptimizerSpec.validate c.Optimizer) |> err "optimizer"
              if not (c.Lr > 0.0) || System.Double.IsInfinity c.Lr then
                  yield { Field = "lr"; Message = $"learning rate must be a positive number, got {c.Lr}" }
              if c.BatchSize < 1 then
                  yield { Field = "batch_size"; Message = $"batch size must be a positive integer, got {c.BatchSize}" }
              yield! Schedule.validate c.Schedule |> err "schedule"
              yield! Stopping.validate c.Stopping |> err "stopping"
              match c.TrainLimit with
              | Some n when n < 1 -> yield { Field = "train_limit"; Message = $"must be >= 1, got {n}" }
              | _ -> ()
              if c.Seed < 0 then yield { Field = "seed"; Message = $"seed must be >= 0, got {c.Seed}" } ]
        if errors.IsEmpty then Ok c else Error errors

    /// The canonical text of a config: every field that changes training, in a fixed order.
    let canonical (c: TrialConfig) =
        let r (v: float) = v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)
        String.concat
            "|"
            [ "dataset=" + c.Dataset
              "data_dir=" + defaultArg c.DataDir ""
              "model=" + c.Model
              "optimizer=" + c.OptimizerName
              "optimizer_spec=" + (sprintf "%A" c.Optimizer).Replace("\n", " ")
              "lr=" + r c.Lr
              "batch_size=" + string c.BatchSize
              "schedule=" + (sprintf "%A" c.Schedule).Replace("\n", " ")
              "stopping=" + (sprintf "%A" c.Stopping).Replace("\n", " ")
              "split=" + Split.describe c.Split
              "seed=" + string c.Seed
              "train_limit=" + (c.TrainLimit |> Option.map string |> Option.defaultValue "") ]

    /// A stable id: the first 16 hex digits of SHA-256 over the canonical config, so
    /// that resume and shards agree on identity across runs and machines.
    let id (c: TrialConfig) =
        let bytes = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical c))
        System.Convert.ToHexString(bytes).ToLowerInvariant().Substring(0, 16)
