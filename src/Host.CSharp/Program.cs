using Lrbs.Host.Cli;

// One BLAS/OpenMP thread per worker unless the user set otherwise: decided before the
// native libraries load (they size their thread pools from the environment then).
Lrbs.Core.Engine.ThreadEnvironment.configure(1);
var code = CommandLine.Run(args, Console.Out, Console.Error);
EngineWarmUp.Settle(); // never exit while libtorch is still loading on its own thread
// LRBS_TIMING=1: when the command ended and its peak memory (a whole command's, for `lrbs bench`'s start-up part)
if (Lrbs.Host.Presentation.StartupTiming.Enabled)
    Console.Error.WriteLine(System.FormattableString.Invariant($"timing: exit {Lrbs.Host.Presentation.StartupTiming.ProcessAge():0.00} s (peak {Lrbs.Host.Presentation.StartupTiming.PeakGb():0.00} GB) after the process started"));
return code;
