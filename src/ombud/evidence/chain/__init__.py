"""Transfer tracing: chain clients (Esplora, EVM JSON-RPC) behind `ChainClient`, and pure
deposit/withdrawal diagnoses.

Typical use::

    clients = {"Bitcoin": EsploraClient(url), "ERC20": EvmClient(rpc, "ERC20", tokens=...)}
    diagnosis = trace_deposit(DepositClaim("USDT", txid, "ERC20"), reader, account, window,
                              clients, now)
"""

from ombud.evidence.chain.diagnose import (
    ChainProblem,
    DepositClaim,
    Diagnosis,
    Fault,
    Verdict,
    diagnose_deposit,
    diagnose_withdrawal,
)
from ombud.evidence.chain.erc20 import TRANSFER_TOPIC, Token, decode_transfers
from ombud.evidence.chain.esplora import EsploraClient
from ombud.evidence.chain.evm import EvmClient
from ombud.evidence.chain.model import (
    ChainClient,
    ChainDataError,
    ChainError,
    ChainTransfer,
    ChainTx,
    ChainUnavailable,
    TxStatus,
    network_of,
    same_network,
)
from ombud.evidence.chain.trace import look_up, trace_deposit, trace_withdrawal

__all__ = [
    "TRANSFER_TOPIC", "ChainClient", "ChainDataError", "ChainError", "ChainProblem",
    "ChainTransfer", "ChainTx", "ChainUnavailable", "DepositClaim", "Diagnosis",
    "EsploraClient", "EvmClient", "Fault", "Token", "TxStatus", "Verdict", "decode_transfers",
    "diagnose_deposit", "diagnose_withdrawal", "look_up", "network_of", "same_network",
    "trace_deposit", "trace_withdrawal",
]
