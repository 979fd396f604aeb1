using MLNet.Distillation.Cli;

return CliApp.Run(args, CliApp.ForConsole());
