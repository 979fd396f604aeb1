using static TorchSharp.torch;

namespace MLNet.Distillation.Losses;

// What a training checkpoint (StudentOptions.Checkpoint) needs from a loss besides its Parameters(), which the trainer
// saves with the student: the state the loss carries from one step to the next, or why it cannot be saved.
public abstract partial class DistillationLoss
{
    /// <summary>
    /// Why a fit with this loss cannot be checkpointed — state carried across steps that <see cref="SaveState"/> does not
    /// hold — or null when it can. A loss defined outside this library is checkpointed with its <see cref="Parameters"/>
    /// only.
    /// </summary>
    internal virtual string? CheckpointRefusal => null;

    /// <summary>
    /// Adds the state this loss carries from step to step besides <see cref="Parameters"/> (running statistics) to
    /// <paramref name="state"/>, each name starting with <paramref name="prefix"/>. The tensors are read at once; they need
    /// not be copies.
    /// </summary>
    internal virtual void SaveState(IDictionary<string, Tensor> state, string prefix) { }

    /// <summary>
    /// Restores what <see cref="SaveState"/> wrote under <paramref name="prefix"/>, after <see cref="Bind"/>; copies what it
    /// keeps (the caller disposes <paramref name="state"/>'s tensors).
    /// </summary>
    internal virtual void LoadState(IReadOnlyDictionary<string, Tensor> state, string prefix) { }
}
