using Lrbs.Host.Cli;

// One BLAS/OpenMP thread per worker unless the user set otherwise: decided before the
// native libraries load (they size their thread pools from the environment then).
Lrbs.Core.Engine.ThreadEnvironment.configure(1);
return CommandLine.Run(args, Console.Out, Console.Error);
