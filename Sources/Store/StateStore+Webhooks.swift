/// Webhook secrets (one per deployment, only in the encrypted database) and the delivery ids
/// already accepted (replay protection).
extension StateStore {
    /// The deployment's webhook secret, `nil` if none was created yet.
    public func webhookSecret(of deployment: String) throws -> String? {
        try db().query("SELECT secret FROM webhook_secrets WHERE deployment = ?", [.text(deployment)]).first?.string(0)
    }

    /// Stores `secret` as the deployment's webhook secret, replacing an earlier one.
    ///
    /// - Returns: `false` (nothing stored) if there is no such deployment.
    @discardableResult
    public func setWebhookSecret(_ deployment: String, _ secret: String) throws -> Bool {
        let db = try db()
        return try db.transaction {
            guard try db.query("SELECT 1 FROM deployments WHERE name = ?", [.text(deployment)]).first != nil else { return false }
            try db.run("DELETE FROM webhook_secrets WHERE deployment = ?", [.text(deployment)])
            try db.run(
                "INSERT INTO webhook_secrets (deployment, secret, created_at) VALUES (?, ?, ?)",
                [.text(deployment), .text(secret), .real(Self.now)])
            return true
        }
    }

    /// Delivery ids kept per deployment for replay protection: the newest 1,000 (by arrival
    /// order, never by a wall-clock age, which a clock jump of years would make forget them all).
    public static let deliveryRetention = 1_000

    /// Records a delivery id, keeping the newest `retention` of the deployment.
    ///
    /// - Returns: `false` if this id was already recorded for the deployment (a replay).
    public func recordDelivery(_ deployment: String, id: String, retention: Int = StateStore.deliveryRetention) throws -> Bool {
        let db = try db()
        return try db.transaction {
            if try db.query(
                "SELECT 1 FROM webhook_deliveries WHERE deployment = ? AND delivery_id = ?",
                [.text(deployment), .text(id)]
            ).first != nil {
                return false
            }
            try db.run(
                "INSERT INTO webhook_deliveries (deployment, delivery_id, received_at) VALUES (?, ?, ?)",
                [.text(deployment), .text(id), .real(Self.now)])
            try db.run(
                """
                DELETE FROM webhook_deliveries WHERE deployment = ? AND rowid NOT IN
                (SELECT rowid FROM webhook_deliveries WHERE deployment = ? ORDER BY rowid DESC LIMIT ?)
                """, [.text(deployment), .text(deployment), .integer(Int64(retention))])
            return true
        }
    }
}
