from django.dispatch import Signal

#: Sent by nothing but the contract's tests.
poked = Signal()
