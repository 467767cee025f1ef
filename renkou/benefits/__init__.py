"""Family benefits (利益导向): programmes as configuration, screening, the review workflow,
public notice and payment."""
