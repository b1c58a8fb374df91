/// The test aid LRBS_FAULT=TRIAL_ID:STEP: the training step STEP (1-based) of trial TRIAL_ID raises
/// SIGSEGV, as a crash inside the native step would, so that tests can check that a crash stays
/// in its trial (the sweep's worker process dies; its supervisor marks the trial failed).
module Lrbs.Core.Training.Fault

open System

/// Parses the variable's text: None when empty; an error names the variable and the text.
let parse (text: string) : Result<(string * int) option, string> =
    if String.IsNullOrWhiteSpace text then
        Ok None
    else
        match text.Trim().Split(':') with
        | [| id; step |] when id.Length = 16 && id |> Seq.forall Uri.IsHexDigit ->
            match Int32.TryParse step with
            | true, s when s >= 1 -> Ok(Some(id.ToLowerInvariant(), s))
            | _ -> Error $"LRBS_FAULT: expected TRIAL_ID:STEP with STEP an integer >= 1, got '{text}'"
        | _ -> Error $"LRBS_FAULT: expected TRIAL_ID:STEP (a 16-hex-digit trial id and a step >= 1), got '{text}'"

/// The fault this process was started with (an unparsable value counts as none here: the
/// commands check it and exit 2 before training).
let target =
    lazy
        (match parse (Environment.GetEnvironmentVariable "LRBS_FAULT") with
         | Ok t -> t
         | Error _ -> None)

/// Crashes the process now with SIGSEGV from native code (the .NET runtime swallows a raise()d one).
let crash () = Lrbs.Core.Engine.Native.lrbs_runtime_crash ()
