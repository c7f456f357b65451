using Fovea.Cli;

return FoveaCli.Run(args);
