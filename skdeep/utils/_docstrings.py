"""Docstring sections shared by the network estimators.

``fill_doc`` replaces ``%(name)s`` markers in a class docstring with the
snippets below, so each parameter is described once for every estimator.
"""

TRAINING_PARAMETERS = """\
solver : {"adam", "sgd", "lbfgs"}, default="adam"
        Optimizer of the weights.

        - "adam": Adam on shuffled minibatches; a good default from a few
          thousand samples up.
        - "sgd": minibatch stochastic gradient descent with (Nesterov)
          momentum and a learning-rate schedule.
        - "lbfgs": SciPy's L-BFGS-B on the whole training set; converges
          faster and better on small data sets.

    penalty : {"l2", "l1", "elasticnet"} or None, default="l2"
        Penalty on the weights (never the biases). "l2" is ridge,
        ``alpha / n * 1/2 ||W||^2`` with ``n`` the total sample weight; "l1"
        is ``alpha / n * ||W||_1`` and sets weights exactly to zero;
        "elasticnet" mixes them with ``l1_ratio``. "sgd" and "adam" apply the
        L1 part as a proximal (soft-thresholding) step after every update,
        "adam" with each weight's own step size; "lbfgs" splits each weight
        into positive and negative parts bounded below by zero.

    alpha : float, default=0.0001
        Strength of the penalty, per training sample as in scikit-learn's
        MLP: the same ``alpha`` means the same objective whatever the solver
        or batch size.

    l1_ratio : float, default=0.15
        Share of the L1 term when ``penalty="elasticnet"``, in [0, 1].

    batch_size : int or "auto", default="auto"
        Minibatch size for "sgd" and "adam"; "auto" is ``min(200, n_samples)``.

    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Schedule of the "sgd" step size. "invscaling" divides
        ``learning_rate_init`` by ``(t + 1) ** power_t`` with ``t`` the samples
        seen; "adaptive" divides it by 5 each time training stalls for
        ``n_iter_no_change`` epochs, instead of stopping.

    learning_rate_init : float, default=0.001
        Initial step size of "sgd" and "adam".

    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.

    max_iter : int, default=200
        Maximum number of epochs ("sgd", "adam") or iterations ("lbfgs").

    shuffle : bool, default=True
        Whether to shuffle the samples every epoch.

    tol : float, default=1e-4
        Minimum improvement of the monitored loss (validation loss with early
        stopping, else training loss) that counts as progress; for "lbfgs",
        the projected-gradient tolerance.

    n_iter_no_change : int, default=10
        Stop after more than this many epochs without progress of ``tol``.

    param_change_tol : float or None, default=None
        Stop once the relative change of the parameters over an epoch,
        ``||theta_t - theta_{t-1}|| / ||theta_{t-1}||``, falls below this
        value. None disables this signal.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        classifiers), or use ``X_val, y_val`` passed to ``fit``, monitor the
        validation loss every epoch, stop when it stops improving and restore
        the weights (and optimizer state) of the best epoch. Only for "sgd"
        and "adam": "lbfgs" ignores it, as in scikit-learn, and holds out
        nothing.

    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.

    momentum : float, default=0.9
        Momentum of "sgd", in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether "sgd" uses Nesterov's momentum.

    beta_1 : float, default=0.9
        Decay of Adam's first-moment estimate, in [0, 1).

    beta_2 : float, default=0.999
        Decay of Adam's second-moment estimate, in [0, 1).

    epsilon : float, default=1e-8
        Adam's numerical-stability constant.

    max_fun : int, default=15000
        Maximum number of loss evaluations of "lbfgs".

    standardize : bool, default=True
        Standardise the inputs inside the estimator (zero mean, unit variance,
        with sample weights); sparse input is scaled but not centred.
        Regressors standardise their targets too, train in standard units and
        predict in the units of ``y``. The scaling is learned by the first
        ``fit`` (or ``partial_fit``, from its first batch alone) and kept by
        warm starts and later partial fits.

    init : {"glorot", "he", "uniform"}, default="glorot"
        Initial weights: Glorot-uniform (bound ``sqrt(6 / (fan_in +
        fan_out))``, ``sqrt(2 / ...)`` below a logistic activation; the output
        layer uses 6, where scikit-learn's MLP uses its hidden activation's
        factor), He-uniform, or the classic ``U[-init_scale, init_scale]``
        for standardised inputs.

    init_scale : float, default=0.7
        Half-width of the "uniform" initialisation.

    n_init : int, default=1
        Number of random restarts. Each trains from its own seed; the network
        with the lowest validation loss (when there is validation data), else
        the lowest training loss, is kept.

    warm_start : bool, default=False
        Continue training the fitted network on the next call to ``fit``,
        keeping the optimizer's state (Adam's moments, SGD's velocity and
        scheduled rate), unlike scikit-learn's MLP. The next run follows the
        current parameters: a changed activation, penalty, loss, dropout,
        clipping or learning rate takes effect, a changed solver starts that
        solver's state afresh (``n_iter_`` keeps counting); a changed
        architecture (hidden layer sizes, outputs, classes) raises a
        ValueError.

    random_state : int, RandomState instance or None, default=None
        Draws the validation split (with ``early_stopping``), then one seed
        per restart, which drives that restart's initial weights, shuffling
        and dropout masks. Pass an int for reproducible fits.

    verbose : int, default=0
        When positive, print a line per epoch (its number out of the
        budget, losses, validation score, its time, the time so far and
        an estimate of the time left), then why training stopped and which
        epoch's weights were kept. For a progress bar, scores per epoch or
        stopping on your own rule, use scikit-learn's callbacks instead
        (``set_callbacks``, scikit-learn >= 1.9)."""

TRAINING_ATTRIBUTES = """\
n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``, when they were strings.

    coefs_ : list of ndarray
        ``coefs_[i]`` is the ``(n_in, n_out)`` weight matrix of layer ``i``,
        acting on standardised inputs when ``standardize=True``. The arrays
        are views of the network's parameter vector.

    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer ``i``.

    scaler_ : StandardScaler or None
        The fitted input standardisation, or None.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of output units.

    out_activation_ : str
        Output activation: "softmax", "logistic" or "identity".

    loss_ : float
        Training objective (weighted mean loss plus penalty; for regressors
        with ``standardize=True``, in standard units of ``y``) of the last
        epoch. After early stopping the kept weights are those of the best
        epoch, whose objective is in ``loss_curve_``. After a divergence
        (a ConvergenceWarning says so) it is the objective of the kept
        weights on the training data.

    best_loss_ : float
        Lowest training objective over the epochs.

    loss_curve_ : list of float
        Training objective of every epoch (every iteration for "lbfgs"),
        averaged over the epoch's minibatches as they were trained: with
        dropout, that is the loss of the thinned networks, higher than the
        whole network's.

    validation_scores_ : list of float or None
        Validation score (accuracy or R^2) of every epoch when there was
        validation data, else None.

    validation_loss_curve_ : list of float or None
        Validation loss of every epoch when there was validation data.

    best_validation_score_ : float or None
        Validation score of the kept weights (the best epoch with early
        stopping, else the last one).

    history_ : list of dict
        One record per epoch: "stage" (None, or the pre-training stage),
        "epoch", "loss", "val_loss", "val_score",
        "param_change", "grad_norms" (weight-gradient norm of each layer),
        "learning_rate", "seconds"; the diagnostics "param_change",
        "grad_norms" and "seconds" in single precision.

    grad_norms_ : ndarray of shape (n_epochs, n_layers)
        Mean weight-gradient norm of each layer (input side first) in every
        epoch that trained the whole network; shrinking values toward the
        input are the vanishing-gradient problem.

    restart_losses_ : ndarray of shape (n_init,)
        Selection loss of each random restart of the last full ``fit``.

    best_restart_ : int
        Index of the kept restart in ``restart_losses_``.

    n_iter_ : int
        Number of epochs (iterations for "lbfgs") trained.

    kept_epoch_ : int
        The epoch (its "epoch" in ``history_``) whose weights the model
        holds: the best one after early stopping, the last one otherwise;
        after a divergence, the best epoch or, if the weights the run
        started from were better, the epoch before the run (0 for a new
        network).

    t_ : int
        Number of training samples seen by the solver."""


def fill_doc(**snippets):
    """Class decorator: replace ``%(name)s`` in the docstring by ``snippets``."""
    snippets = {
        "training_parameters": TRAINING_PARAMETERS,
        "training_attributes": TRAINING_ATTRIBUTES,
        **snippets,
    }

    def decorate(obj):
        doc = obj.__doc__
        for name, text in snippets.items():
            doc = doc.replace(f"%({name})s", text)
        obj.__doc__ = doc
        return obj

    return decorate
